/**
 * Output of the API key bench: a console summary, and `results/apikeys-<name>.json` and `.md` in
 * the shape of the other benches' results (machine, options, summary, per round).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ApiKeyBenchOptions } from './options.ts';
import { SCENARIOS, WARM_CACHE_TTL_MS, WARM_TARGET_PER_SECOND, type ScenarioId } from './scenarios.ts';
import type { RoundResult, ScenarioSummary } from './stats.ts';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiKeyMachine {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  pinning: string;
  /** Where PostgreSQL's backends run relative to the measuring process. */
  databaseNote: string;
  loadAverageAtStart: string;
  loadAverageAtEnd: string;
  libraries: Record<string, string>;
  /** The commit the library was built from, and whether its sources had uncommitted changes. */
  libraryRevision: string;
  sqliteVersion: string;
  postgresVersion: string | null;
}

export interface ApiKeyReport {
  machine: ApiKeyMachine;
  /** With any password in `databaseUrl` replaced. */
  options: ApiKeyBenchOptions;
  /** Scenarios asked for but not measured, and why. */
  skipped: { scenario: ScenarioId; reason: string }[];
  summary: ScenarioSummary[];
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

function libraryRevision(): string {
  const git = (...args: string[]): string | undefined => {
    const result = spawnSync('git', args, { cwd: REPOSITORY, encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  if (commit === undefined) return 'unknown (not a git checkout)';
  const changed = git('status', '--porcelain', '--', 'packages/portcullis/src');
  return changed === undefined || changed === '' ? commit : `${commit} with uncommitted changes in packages/portcullis/src`;
}

export function describeMachine(fields: Pick<ApiKeyMachine, 'pinning' | 'databaseNote' | 'loadAverageAtStart' | 'sqliteVersion' | 'postgresVersion'>): ApiKeyMachine {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    kernel: release(),
    loadAverageAtEnd: loadAverage(),
    libraries: Object.fromEntries(['portcullis', 'better-sqlite3', 'pg'].map((name) => [name, installedVersion(name)])),
    libraryRevision: libraryRevision(),
    ...fields,
  };
}

const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const ratio = (value: number | null): string => (value === null || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`);
const percent = (value: number): string => `${Math.round(value * 100)}%`;

const TITLES: Record<ScenarioId, string> = {
  'warm-sync': 'warm, verifyCached (sync)',
  'warm-async': 'warm, await verify()',
  'cold-sqlite': 'cold, SQLite',
  'cold-postgres': 'cold, PostgreSQL',
  'hmac-lookup': 'reference: HMAC + Map.get',
};

function lookupsCell(row: ScenarioSummary): string {
  if (row.scenario === 'hmac-lookup') return '-';
  const perVerification = row.verifications === 0 ? 0 : row.timedLookups / row.verifications;
  const timed = `${count(row.timedLookups)} in ${count(row.verifications)} verifications (${perVerification.toFixed(2)} each)`;
  if (row.primingLookupsPerRound.every((lookups) => lookups === 0)) return timed;
  const priming = [...new Set(row.primingLookupsPerRound)].map(count).join('/');
  return `${priming} to fill the cache (${count(row.keysInRotation)} keys), then ${timed}`;
}

function noteCell(row: ScenarioSummary): string {
  switch (row.scenario) {
    case 'warm-sync':
      return `target ${count(WARM_TARGET_PER_SECOND)}/s per core: ${row.meetsTarget === true ? 'MET' : 'NOT MET'} (${ratio(row.ratioToTarget)})`;
    case 'cold-sqlite':
      return `${count(row.keysInRotation)} keys, one at a time`;
    case 'cold-postgres': {
      const database =
        row.medianDatabaseMicrosPerVerification === null
          ? 'backend CPU not visible'
          : `${row.medianDatabaseMicrosPerVerification.toFixed(1)} us of backend CPU per verification, backends on cpu ${row.databaseCpus.join(',') || '?'}`;
      return `${count(row.keysInRotation)} keys, ${row.concurrency} in flight; ${database}`;
    }
    default:
      return '';
  }
}

function summaryTable(report: ApiKeyReport): { header: string[]; rows: string[][] } {
  return {
    header: ['measurement', 'median verifications/s', 'min - max', 'per CPU-s', 'CPU share', 'vs HMAC + Map.get (CPU)', 'storage lookups (timed)', 'note'],
    rows: report.summary.map((row) => [
      TITLES[row.scenario],
      count(row.medianPerSecond),
      `${count(row.minPerSecond)} - ${count(row.maxPerSecond)}`,
      count(row.medianPerCpuSecond),
      percent(row.medianCpuShare),
      ratio(row.cpuRatioToHmacLookup),
      lookupsCell(row),
      noteCell(row),
    ]),
  };
}

function perRound(report: ApiKeyReport): { header: string[]; rows: string[][] } {
  const numbers = [...new Set(report.rounds.map((row) => row.round))].sort((a, b) => a - b);
  return {
    header: ['measurement', ...numbers.map((round) => `round ${round}`)],
    rows: report.summary.map((summary) => [
      TITLES[summary.scenario],
      ...numbers.map((round) => {
        const row = report.rounds.find((candidate) => candidate.round === round && candidate.scenario === summary.scenario);
        return row === undefined ? '-' : `${count(row.verificationsPerSecond)} / ${count(row.verificationsPerCpuSecond)} / ${percent(row.cpuShare)} (#${row.slot})`;
      }),
    ]),
  };
}

/** The first column and the last `textColumns` are text (left-aligned); the rest are figures. */
function textTable(header: readonly string[], rows: readonly string[][], textColumns = 0): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const isText = (column: number): boolean => column === 0 || column >= header.length - textColumns;
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (isText(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** The first column and the last `textColumns` are text (left-aligned); the rest are figures. */
function markdownTable(header: readonly string[], rows: readonly string[][], textColumns = 0): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const isText = (column: number): boolean => column === 0 || column >= header.length - textColumns;
  return [line(header), line(header.map((_, column) => (isText(column) ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function settingsLine(options: ApiKeyBenchOptions): string {
  return (
    `${options.rounds} interleaved round(s), ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured per scenario per round, one fresh process per measurement; ` +
    `${options.hotKeys} hot keys (warm, cacheTtlMs ${WARM_CACHE_TTL_MS}), ${options.keys} stored keys (cold, cacheTtlMs 0); ` +
    `PostgreSQL: pg.Pool of ${options.poolSize}, ${options.concurrency} verifications in flight`
  );
}

function machineLines(machine: ApiKeyMachine): string[] {
  return [
    `${machine.cores} cores (${machine.cpuModel}), Linux ${machine.kernel}, Node ${machine.node}; measuring process: ${machine.pinning}.`,
    `${machine.databaseNote}`,
    `Load average at start ${machine.loadAverageAtStart}, at end ${machine.loadAverageAtEnd}.`,
    `Library at commit ${machine.libraryRevision}.`,
    `Libraries: ${Object.entries(machine.libraries).map(([name, version]) => `${name} ${version}`).join(', ')}; SQLite ${machine.sqliteVersion}; PostgreSQL ${machine.postgresVersion ?? 'not measured'}.`,
  ];
}

export function printReport(report: ApiKeyReport): void {
  const table = summaryTable(report);
  const rounds = perRound(report);
  console.log(`\nAPI key verifications (measuring process ${report.machine.pinning}; library at ${report.machine.libraryRevision})`);
  console.log(textTable(table.header, table.rows, 2));
  console.log(`\nper round, verifications/s / per CPU-s / CPU share (#slot):\n${textTable(rounds.header, rounds.rows)}`);
  console.log(`\n${report.machine.databaseNote}`);
  for (const { scenario, reason } of report.skipped) console.log(`NOT MEASURED: ${scenario}: ${reason}`);
}

export function renderMarkdown(report: ApiKeyReport): string {
  const table = summaryTable(report);
  const rounds = perRound(report);
  const measured = new Set(report.summary.map((row) => row.scenario));
  return [
    `## API key verification: ${report.machine.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    ...machineLines(report.machine),
    `${settingsLine(report.options)}.`,
    '',
    ...report.skipped.map(({ scenario, reason }) => `**NOT MEASURED: ${scenario}**: ${reason}`),
    ...(report.skipped.length > 0 ? [''] : []),
    markdownTable(table.header, table.rows, 2),
    '',
    'Per round, verifications/s / per CPU-s / CPU share (#slot in the round):',
    '',
    markdownTable(rounds.header, rounds.rows),
    '',
    '"per CPU-s" counts verifications per CPU-second of the measuring process and "CPU share" is its CPU time over wall time: under',
    '100% means another process took the core or, against PostgreSQL, that the process waited for the database. "vs HMAC + Map.get"',
    'compares a warm scenario, per CPU-second, with the keyed hash and a map lookup alone: what a cache keyed by the hash would pay at',
    'least. "storage lookups" are the verifier\'s own count (`verifier.lookups`). Every key is presented as a fresh string',
    '(`header.slice(7)`, as the Fastify hook gets it), so no verification finds its hash already computed by V8.',
    '',
    ...SCENARIOS.filter((scenario) => measured.has(scenario.id)).map((scenario) => `- **${scenario.id}**: ${scenario.api}`),
    '',
  ].join('\n');
}

/** Writes `apikeys-<name>.json` and `.md`; returns their paths. */
export function writeReport(report: ApiKeyReport, name: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${RESULTS_DIR}apikeys-${name}.json`;
  const markdown = `${RESULTS_DIR}apikeys-${name}.md`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return [json, markdown];
}
