/**
 * Presents a finished rate limiter run: console tables, and `results/ratelimit-<name>.{json,md}`
 * in the shape of the HTTP bench's results (machine, options, summary, per round).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ALGORITHM_NAMES } from 'portcullis/ratelimit';
import { CONTENDERS, contenderById, WORKLOADS, type Scenario } from './contenders.ts';
import type { RateLimitBenchOptions } from './options.ts';
import type { ContenderSummary, RoundResult } from './stats.ts';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

export interface RedisServerNotes {
  version: string;
  pid: number | undefined;
  /** `taskset -p` of the redis-server, e.g. "affinity list 0,1". */
  affinity: string;
  connectedClientsAtStart: number;
}

export interface RateLimitMachine {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  pinning: string;
  redis: RedisServerNotes | null;
  loadAverageAtStart: string;
  loadAverageAtEnd: string;
  /** Installed versions of the libraries compared. */
  libraries: Record<string, string>;
}

export interface ScenarioReport {
  id: string;
  scenario: Scenario;
  summary: ContenderSummary[];
}

export interface RateLimitReport {
  machine: RateLimitMachine;
  options: RateLimitBenchOptions;
  /** Contenders that exist in the list but were not measured, and why. */
  skipped: { contender: string; reason: string }[];
  scenarios: ScenarioReport[];
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

export function describeMachine(pinning: string, redis: RedisServerNotes | null, loadAverageAtStart: string): RateLimitMachine {
  const libraries = ['portcullis', 'rate-limiter-flexible', '@fastify/rate-limit', 'toad-cache', 'express-rate-limit', 'rate-limit-redis', 'redis', 'ioredis'];
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    kernel: release(),
    pinning,
    redis,
    loadAverageAtStart,
    loadAverageAtEnd: loadAverage(),
    libraries: Object.fromEntries(libraries.map((name) => [name, installedVersion(name)])),
  };
}

const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const ratio = (value: number | null): string => (value === null || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`);
const share = (value: number): string => (value >= 0.995 || value === 0 ? `${Math.round(value * 100)}%` : `${(value * 100).toFixed(1)}%`);
const percent = (value: number | null): string => (value === null ? '-' : `${Math.round(value * 100)}%`);
const micros = (value: number | null): string => (value === null ? '-' : value.toFixed(1));

/** "evalsha 1.00" style, dropping what is under 0.01 per decision (another client's noise, set-up). */
function perDecision(counts: Record<string, number> | null): string {
  if (counts === null) return '-';
  const shown = Object.entries(counts).filter(([, calls]) => calls >= 0.01);
  if (shown.length === 0) return 'none';
  return shown.map(([name, calls]) => `${name} ${calls.toFixed(2)}`).join(', ');
}

const total = (counts: Record<string, number> | null): string =>
  counts === null ? '-' : Object.values(counts).reduce((sum, calls) => sum + calls, 0).toFixed(2);

function label(row: ContenderSummary): string {
  return row.contender === row.fastestPeer ? `${row.contender} (fastest peer)` : row.contender;
}

function scenarioTitle(scenario: Scenario): string {
  return `${scenario.suite} / ${scenario.workload} / ${scenario.keys === 'hot' ? 'one hot key' : 'many keys'}`;
}

function memoryRows(summary: readonly ContenderSummary[]): { header: string[]; rows: string[][] } {
  return {
    header: ['contender', 'algorithm', 'median decisions/s', 'min - max', 'vs fastest peer', 'paired', 'decisions/CPU-s', 'vs fastest peer (CPU)', 'CPU share', 'admitted'],
    rows: summary.map((row) => [
      label(row),
      row.algorithm,
      count(row.medianDecisionsPerSecond),
      `${count(row.minDecisionsPerSecond)} - ${count(row.maxDecisionsPerSecond)}`,
      ratio(row.ratioToFastestPeer),
      ratio(row.pairedRatioToFastestPeer),
      count(row.medianDecisionsPerCpuSecond),
      ratio(row.cpuRatioToFastestPeer),
      percent(row.medianClientCpuShare),
      share(row.medianAdmittedShare),
    ]),
  };
}

function redisRows(summary: readonly ContenderSummary[]): { header: string[]; rows: string[][] } {
  return {
    header: [
      'contender',
      'algorithm',
      'median decisions/s',
      'min - max',
      'vs fastest peer',
      'paired',
      'round trips/decision',
      'script commands/decision',
      'server commands/decision',
      'script us/call',
      'Redis CPU us/decision',
      'client CPU us/decision',
      'CPU share client / Redis',
      'admitted',
      'errors',
    ],
    rows: summary.map((row) => [
      label(row),
      row.algorithm,
      count(row.medianDecisionsPerSecond),
      `${count(row.minDecisionsPerSecond)} - ${count(row.maxDecisionsPerSecond)}`,
      ratio(row.ratioToFastestPeer),
      ratio(row.pairedRatioToFastestPeer),
      perDecision(row.redis?.sentPerDecision ?? null),
      perDecision(row.redis?.inScriptsPerDecision ?? null),
      total(row.redis?.serverCommandsPerDecision ?? null),
      micros(row.redis?.medianScriptMicrosPerCall ?? null),
      micros(row.redis?.medianRedisCpuMicrosPerDecision ?? null),
      micros(row.redis?.medianClientCpuMicrosPerDecision ?? null),
      `${percent(row.medianClientCpuShare)} / ${percent(row.redis?.medianRedisCpuShare ?? null)}`,
      share(row.medianAdmittedShare),
      String(row.errors),
    ]),
  };
}

function tableFor(scenario: ScenarioReport): { header: string[]; rows: string[][] } {
  return scenario.scenario.suite === 'memory' ? memoryRows(scenario.summary) : redisRows(scenario.summary);
}

/** Portcullis algorithm x scenario: median decisions/s over the fastest peer's; in brackets per CPU-second (memory) or paired (Redis). */
function headline(report: RateLimitReport): { header: string[]; rows: string[][] } {
  const columns = report.scenarios.filter((scenario) => scenario.summary.some((row) => !row.isPeer) && scenario.summary.some((row) => row.isPeer));
  const header = ['Portcullis algorithm', ...columns.map((scenario) => scenario.id)];
  const peerRow = ['fastest peer (decisions/s)', ...columns.map((scenario) => {
    const peer = scenario.summary.find((row) => row.contender === row.fastestPeer);
    return peer === undefined ? '-' : `${peer.contender} ${count(peer.medianDecisionsPerSecond)}`;
  })];
  const rows = ALGORITHM_NAMES.map((algorithm) => [
    algorithm,
    ...columns.map((scenario) => {
      const row = scenario.summary.find((candidate) => !candidate.isPeer && candidate.algorithm === algorithm);
      if (row === undefined) return 'n/a';
      const second = scenario.scenario.suite === 'memory' ? row.cpuRatioToFastestPeer : row.pairedRatioToFastestPeer;
      return `${ratio(row.ratioToFastestPeer)} (${ratio(second)})`;
    }),
  ]);
  return { header, rows: [peerRow, ...rows] };
}

function perRound(scenario: ScenarioReport, rounds: readonly RoundResult[]): { header: string[]; rows: string[][] } {
  const mine = rounds.filter((row) => row.scenario === scenario.id);
  const numbers = [...new Set(mine.map((row) => row.round))].sort((a, b) => a - b);
  return {
    header: ['contender', ...numbers.map((round) => `round ${round}`)],
    rows: scenario.summary.map((summary) => [
      summary.contender,
      ...numbers.map((round) => {
        const row = mine.find((candidate) => candidate.round === round && candidate.contender === summary.contender);
        return row === undefined ? '-' : `${count(row.decisionsPerSecond)} (#${row.slot})`;
      }),
    ]),
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

export function settingsLine(options: RateLimitBenchOptions): string {
  return (
    `${options.rounds} interleaved round(s), ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured per contender per scenario per round, ` +
    `one fresh process per measurement; memory: one decision at a time; Redis: ${options.concurrency} decisions in flight; many keys = ${count(options.manyKeys)} keys round-robin`
  );
}

function machineLines(machine: RateLimitMachine): string[] {
  const redis = machine.redis;
  return [
    `${machine.cores} cores (${machine.cpuModel}), Linux ${machine.kernel}, Node ${machine.node}; measuring process: ${machine.pinning}.`,
    redis === null
      ? 'Redis: not used.'
      : `Redis ${redis.version} (pid ${redis.pid ?? 'not local'}, ${redis.affinity}, ${redis.connectedClientsAtStart} client(s) connected at start, including this run's control connection).`,
    `Load average at start ${machine.loadAverageAtStart}, at end ${machine.loadAverageAtEnd}.`,
    `Libraries: ${Object.entries(machine.libraries).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
  ];
}

export function printReport(report: RateLimitReport): void {
  for (const scenario of report.scenarios) {
    const table = tableFor(scenario);
    const rounds = perRound(scenario, report.rounds);
    console.log(`\n${scenarioTitle(scenario.scenario)} (${WORKLOADS[scenario.scenario.workload].description})`);
    console.log(textTable(table.header, table.rows));
    console.log(`per round, decisions/s (#slot):\n${textTable(rounds.header, rounds.rows)}`);
  }
  const summary = headline(report);
  console.log(`\nPortcullis vs the fastest peer of each scenario: median ratio (memory: ratio per CPU-second; Redis: paired ratio)\n${textTable(summary.header, summary.rows)}`);
  for (const row of report.scenarios.flatMap((scenario) => scenario.summary).filter((candidate) => candidate.errors > 0)) {
    console.log(`WARNING: ${row.scenario} ${row.contender} had ${row.errors} failed decisions; its figures are not trustworthy.`);
  }
  for (const { contender, reason } of report.skipped) console.log(`NOT MEASURED: ${contender}: ${reason}`);
}

export function renderMarkdown(report: RateLimitReport): string {
  const summary = headline(report);
  const measured = new Set(report.scenarios.flatMap((scenario) => scenario.summary.map((row) => row.contender)));
  const contenders = CONTENDERS.map((contender) => contender.id).filter((id) => measured.has(id));
  return [
    `## Rate limiter decisions: ${report.machine.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    ...machineLines(report.machine),
    `${settingsLine(report.options)}.`,
    '',
    'Portcullis vs the fastest peer of each scenario (every peer is a fixed-window counter): median decisions/s over the peer\'s median; in brackets, for memory the same ratio per CPU-second of the measuring process, for Redis the median of the per-round ratios.',
    '',
    markdownTable(summary.header, summary.rows),
    '',
    ...report.scenarios.flatMap((scenario) => {
      const table = tableFor(scenario);
      const rounds = perRound(scenario, report.rounds);
      return [
        `### ${scenarioTitle(scenario.scenario)}`,
        '',
        `${WORKLOADS[scenario.scenario.workload].description}.`,
        '',
        markdownTable(table.header, table.rows),
        '',
        'Per round, decisions/s (#slot in the round):',
        '',
        markdownTable(rounds.header, rounds.rows),
        '',
      ];
    }),
    'Columns: "decisions/CPU-s" counts decisions per CPU-second of the measuring process and "CPU share" its CPU time over wall time',
    '(well under 100% in memory means another process took the core); "round trips/decision" are the commands',
    'this client sent, counted with MONITOR over a separate phase; "script commands/decision" the commands its Lua scripts ran;',
    '"server commands/decision" everything the whole server ran during the timed phase (INFO commandstats, scripts included, other',
    'clients too); "script us/call" the server time per EVAL/EVALSHA (INFO commandstats usec, its commands included);',
    '"Redis CPU us/decision" the redis-server process\'s CPU time over the timed phase per decision (parsing and networking too).',
    '',
    ...contenders.map((id) => `- **${id}** (${contenderById(id).library}): ${contenderById(id).api}`),
    ...report.skipped.map(({ contender, reason }) => `- **${contender}**: not measured: ${reason}`),
    '',
  ].join('\n');
}

/** Writes `ratelimit-<name>.json` and `.md`; returns their paths. */
export function writeReport(report: RateLimitReport, name: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${RESULTS_DIR}ratelimit-${name}.json`;
  const markdown = `${RESULTS_DIR}ratelimit-${name}.md`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return [json, markdown];
}
