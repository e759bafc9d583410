/**
 * Presents a finished run: a console table, and JSON plus Markdown files in bench/results/ so a
 * run can be pasted into the README or compared with a later one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './options.ts';
import type { Pinning } from './pinning.ts';
import { compareVariants, type RoundResult, type VariantSummary } from './stats.ts';
import { LOAD_CPU, SERVER_CPU } from './pinning.ts';
import { VARIANTS, type VariantName } from './variants.ts';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface Machine {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  wrk: string;
  pinning: string;
}

export interface Report {
  machine: Machine;
  options: BenchOptions;
  summary: VariantSummary[];
  rounds: RoundResult[];
}

export function describeMachine(wrk: string, pinning: Pinning): Machine {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    kernel: release(),
    wrk,
    pinning: pinning.enabled ? `server on cpu ${SERVER_CPU}, wrk on cpu ${LOAD_CPU}` : `off (${pinning.reason})`,
  };
}

const rps = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => value.toFixed(2);
const ratio = (value: number): string => `${value.toFixed(2)}x`;
const percent = (value: number | null): string => (value === null ? '-' : `${Math.round(value * 100)}%`);

function summaryRows(summary: readonly VariantSummary[]): string[][] {
  return summary.map((row) => [
    row.variant,
    rps(row.medianRequestsPerSecond),
    `${rps(row.minRequestsPerSecond)} - ${rps(row.maxRequestsPerSecond)}`,
    ms(row.medianP50Ms),
    ms(row.medianP99Ms),
    ratio(row.ratioToBaseline),
    ratio(row.pairedRatioToBaseline),
    row.medianRequestsPerCpuSecond === null ? '-' : rps(row.medianRequestsPerCpuSecond),
    row.cpuRatioToBaseline === null ? '-' : ratio(row.cpuRatioToBaseline),
    percent(row.medianServerCpuShare),
    String(row.failures),
  ]);
}
const SUMMARY_HEADER = ['variant', 'median req/s', 'min - max req/s', 'p50 ms', 'p99 ms', 'vs bare', 'paired vs bare', 'req/CPU-s', 'vs bare (CPU)', 'server CPU', 'failures'];

function roundRows(variants: readonly VariantName[], rounds: readonly RoundResult[]): { header: string[]; rows: string[][] } {
  const roundNumbers = [...new Set(rounds.map((result) => result.round))].sort((a, b) => a - b);
  const rows = variants.map((variant) => [
    variant,
    ...roundNumbers.map((round) => {
      const result = rounds.find((candidate) => candidate.round === round && candidate.variant === variant);
      return result === undefined ? '-' : `${rps(result.requestsPerSecond)} / ${ms(result.p99Ms)} / ${percent(result.serverCpuShare)}`;
    }),
  ]);
  return { header: ['variant', ...roundNumbers.map((round) => `round ${round}`)], rows };
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

function settingsLine(report: Report): string {
  const { options } = report;
  return `${options.rounds} interleaved round(s), ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured per variant per round, ${options.connections} connections, wrk -t1`;
}

/** The audit trail's cost (issue 8): the audit variant against the same variant without the trail, when both ran. */
function trailCostLines(report: Report): string[] {
  const comparison = compareVariants(report.rounds, 'portcullis-audit', 'portcullis');
  if (comparison === undefined) return [];
  const cpu = comparison.cpuRatio === null ? '' : `, per server CPU-second ${ratio(comparison.cpuRatio)}`;
  return [`Audit trail cost: portcullis-audit vs portcullis ${ratio(comparison.ratio)} (medians), paired ${ratio(comparison.pairedRatio)}${cpu}.`, ''];
}

export function printReport(report: Report): void {
  const variants = report.summary.map((row) => row.variant);
  const perRound = roundRows(variants, report.rounds);
  console.log(`\nPer round: req/s / p99 ms / server CPU (the order of variants rotates every round):\n${textTable(perRound.header, perRound.rows)}`);
  console.log(`\nSummary (${settingsLine(report)}):\n${textTable(SUMMARY_HEADER, summaryRows(report.summary))}`);
  for (const line of trailCostLines(report)) if (line !== '') console.log(`\n${line}`);
  for (const row of report.summary.filter((candidate) => candidate.failures > 0)) {
    console.log(`WARNING: ${row.variant} had ${row.failures} non-2xx responses or socket errors; its figures are not trustworthy.`);
  }
}

export function renderMarkdown(report: Report): string {
  const { machine } = report;
  const variants = report.summary.map((row) => row.variant);
  const perRound = roundRows(variants, report.rounds);
  const descriptions = VARIANTS.filter((variant) => variants.includes(variant.name)).map((variant) => `- **${variant.name}**: ${variant.description}`);
  return [
    `## Results: ${machine.date.slice(0, 10)}`,
    '',
    `${machine.cores} cores (${machine.cpuModel}), Linux ${machine.kernel}, Node ${machine.node}, ${machine.wrk}; pinning: ${machine.pinning}.`,
    `${settingsLine(report)}.`,
    '',
    markdownTable(SUMMARY_HEADER, summaryRows(report.summary)),
    '',
    '"vs bare" is median req/s over bare-fastify\'s median req/s; "paired vs bare" is the median of the per-round ratios;',
    '"req/CPU-s" is requests answered per CPU-second the server process used, and "vs bare (CPU)" its ratio;',
    '"server CPU" is the share of one core the server process got while measured.',
    '',
    ...trailCostLines(report),
    'Per round: req/s / p99 ms / server CPU.',
    '',
    markdownTable(perRound.header, perRound.rows),
    '',
    ...descriptions,
    '',
  ].join('\n');
}

/** Writes `<name>.json` and `<name>.md`; returns their paths. */
export function writeReport(report: Report, name: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${RESULTS_DIR}${name}.json`;
  const markdown = `${RESULTS_DIR}${name}.md`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return [json, markdown];
}
