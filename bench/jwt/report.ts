/**
 * Presents a finished JWT run: console tables, and `results/jwt-<name>.{json,md}` in the shape
 * of the other benches' results (machine, options, summary, per round).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CONTENDERS, contenderById, type Algorithm } from './contenders.ts';
import type { JwtBenchOptions } from './options.ts';
import type { ContenderSummary, RoundResult } from './stats.ts';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

export interface JwtMachine {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  pinning: string;
  loadAverageAtStart: string;
  loadAverageAtEnd: string;
  /** Installed versions of the libraries compared. */
  libraries: Record<string, string>;
}

export interface AlgorithmReport {
  algorithm: Algorithm;
  /** Bytes of the token every contender verified. */
  tokenLength: number;
  summary: ContenderSummary[];
}

export interface JwtReport {
  machine: JwtMachine;
  options: JwtBenchOptions;
  /** Contenders that exist but were not measured for an algorithm, and why. */
  skipped: { contender: string; reason: string }[];
  algorithms: AlgorithmReport[];
  rounds: RoundResult[];
}

export const loadAverage = (): string => loadavg().map((value) => value.toFixed(2)).join(' ');

function installedVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${NODE_MODULES}${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(pinning: string, loadAverageAtStart: string): JwtMachine {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    kernel: release(),
    pinning,
    loadAverageAtStart,
    loadAverageAtEnd: loadAverage(),
    libraries: Object.fromEntries(['portcullis', 'jsonwebtoken', 'jose', 'fast-jwt'].map((name) => [name, installedVersion(name)])),
  };
}

const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const ratio = (value: number | null): string => (value === null || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`);
const percent = (value: number): string => `${Math.round(value * 100)}%`;

function label(row: ContenderSummary): string {
  if (row.contender === row.fastestPeer) return `${row.contender} (fastest peer)`;
  return row.isPeer || row.library === 'portcullis' ? row.contender : `${row.contender} (reference)`;
}

function summaryTable(report: AlgorithmReport): { header: string[]; rows: string[][] } {
  return {
    header: ['contender', 'median verifications/s', 'min - max', 'vs fastest peer', 'paired', 'verifications/CPU-s', 'vs fastest peer (CPU)', 'vs floor (CPU)', 'CPU share'],
    rows: report.summary.map((row) => [
      label(row),
      count(row.medianPerSecond),
      `${count(row.minPerSecond)} - ${count(row.maxPerSecond)}`,
      ratio(row.ratioToFastestPeer),
      ratio(row.pairedRatioToFastestPeer),
      count(row.medianPerCpuSecond),
      ratio(row.cpuRatioToFastestPeer),
      ratio(row.cpuRatioToFloor),
      percent(row.medianCpuShare),
    ]),
  };
}

function perRound(report: AlgorithmReport, rounds: readonly RoundResult[]): { header: string[]; rows: string[][] } {
  const mine = rounds.filter((row) => row.algorithm === report.algorithm);
  const numbers = [...new Set(mine.map((row) => row.round))].sort((a, b) => a - b);
  return {
    header: ['contender', ...numbers.map((round) => `round ${round}`)],
    rows: report.summary.map((summary) => [
      summary.contender,
      ...numbers.map((round) => {
        const row = mine.find((candidate) => candidate.round === round && candidate.contender === summary.contender);
        return row === undefined ? '-' : `${count(row.verificationsPerSecond)} / ${count(row.verificationsPerCpuSecond)} (#${row.slot})`;
      }),
    ]),
  };
}

/** Portcullis against the fastest peer, per algorithm: the figure the bench exists for. */
function headline(report: JwtReport): { header: string[]; rows: string[][] } {
  return {
    header: ['algorithm', 'portcullis verifications/s', 'per CPU-s', 'fastest peer', 'its verifications/s', 'per CPU-s', 'portcullis vs fastest peer', 'paired', 'per CPU-s', 'portcullis vs floor (CPU)'],
    rows: report.algorithms.flatMap((entry) => {
      const ours = entry.summary.find((row) => row.contender === 'portcullis');
      const peer = entry.summary.find((row) => row.contender === row.fastestPeer);
      if (ours === undefined || peer === undefined) return [];
      return [
        [
          entry.algorithm,
          count(ours.medianPerSecond),
          count(ours.medianPerCpuSecond),
          peer.contender,
          count(peer.medianPerSecond),
          count(peer.medianPerCpuSecond),
          ratio(ours.ratioToFastestPeer),
          ratio(ours.pairedRatioToFastestPeer),
          ratio(ours.cpuRatioToFastestPeer),
          ratio(ours.cpuRatioToFloor),
        ],
      ];
    }),
  };
}

function textTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, column) => (column === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function settingsLine(options: JwtBenchOptions): string {
  return (
    `${options.rounds} interleaved round(s), ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured per contender per algorithm per round, ` +
    'one fresh process per measurement, one verification at a time, the same token for every contender'
  );
}

function machineLines(machine: JwtMachine): string[] {
  return [
    `${machine.cores} cores (${machine.cpuModel}), Linux ${machine.kernel}, Node ${machine.node}; measuring process: ${machine.pinning}.`,
    `Load average at start ${machine.loadAverageAtStart}, at end ${machine.loadAverageAtEnd}.`,
    `Libraries: ${Object.entries(machine.libraries).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
  ];
}

export function printReport(report: JwtReport): void {
  for (const entry of report.algorithms) {
    const table = summaryTable(entry);
    const rounds = perRound(entry, report.rounds);
    console.log(`\n${entry.algorithm} (token of ${entry.tokenLength} characters)`);
    console.log(textTable(table.header, table.rows));
    console.log(`per round, verifications/s / per CPU-s (#slot):\n${textTable(rounds.header, rounds.rows)}`);
  }
  const summary = headline(report);
  console.log(`\nPortcullis vs the fastest peer\n${textTable(summary.header, summary.rows)}`);
  for (const { contender, reason } of report.skipped) console.log(`NOT MEASURED: ${contender}: ${reason}`);
}

export function renderMarkdown(report: JwtReport): string {
  const summary = headline(report);
  const measured = new Set(report.algorithms.flatMap((entry) => entry.summary.map((row) => row.contender)));
  return [
    `## JWT verification: ${report.machine.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    ...machineLines(report.machine),
    `${settingsLine(report.options)}.`,
    '',
    'Portcullis vs the fastest peer (jsonwebtoken, jose, fast-jwt without cache): median verifications/s over the peer\'s median, the median of per-round ratios ("paired"), and the same per CPU-second of the measuring process; "vs floor" is per CPU-second against the signature check alone.',
    '',
    markdownTable(summary.header, summary.rows),
    '',
    ...report.algorithms.flatMap((entry) => {
      const table = summaryTable(entry);
      const rounds = perRound(entry, report.rounds);
      return [
        `### ${entry.algorithm}`,
        '',
        `Token of ${entry.tokenLength} characters, signed by Portcullis (header alg, typ, kid; claims iss, sub, aud, iat, exp, jti, role).`,
        '',
        markdownTable(table.header, table.rows),
        '',
        'Per round, verifications/s / per CPU-s (#slot in the round):',
        '',
        markdownTable(rounds.header, rounds.rows),
        '',
      ];
    }),
    'Columns: "verifications/CPU-s" counts verifications per CPU-second of the measuring process and "CPU share" its CPU time over',
    'wall time (well under 100% means another process took the core; the per-CPU figures are then the ones to read).',
    '',
    ...CONTENDERS.filter((contender) => measured.has(contender.id)).map((contender) => `- **${contender.id}** (${contenderById(contender.id).library}): ${contender.api}`),
    ...report.skipped.map(({ contender, reason }) => `- **${contender}**: not measured: ${reason}`),
    '',
  ].join('\n');
}

/** Writes `jwt-<name>.json` and `.md`; returns their paths. */
export function writeReport(report: JwtReport, name: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${RESULTS_DIR}jwt-${name}.json`;
  const markdown = `${RESULTS_DIR}jwt-${name}.md`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return [json, markdown];
}
