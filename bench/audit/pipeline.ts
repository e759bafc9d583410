/**
 * CPU time per security event on the audit-trail path (issue 8, E3), stage by stage, in-process:
 *
 * - build:   `buildSecurityEvent` (envelope and field redaction, timestamp), as `request.securityEvent` calls it;
 * - publish: `SecurityEventBus.publish` with a no-op logger (the HTTP bench runs with `logger: false`)
 *            and alerts off, as the audit bench server has them, into the write queue, whose batches
 *            go to a store that writes nothing (so this is the bus and the queue alone);
 * - seal:    `sealAuditBatch` (canonical fields, HMAC-SHA256 per row, chained) on batches of 200;
 * - append:  the reference server's `sqlAuditTrail(...).append` on batches of 200 into a SQLite file
 *            in the temp directory after the server's own migrations, given the SQLite connection
 *            as the server gives it (its synchronous path); the seal is included: it runs inside
 *            the append's transaction;
 * - total:   build + publish + append, what one event costs the process that emits and writes it.
 *
 * The HTTP bench (`servers/portcullis-audit.ts`) pins the server to one core, so a worker thread
 * would not help: every stage's CPU time counts. Each stage runs `--events` events per repetition,
 * `--reps` times after a warm-up, and prints the median CPU time (process.cpuUsage: user + system,
 * so SQLite's write() calls count) and the median wall time, in microseconds per event.
 *
 *   npm run bench:audit-pipeline
 *   cd bench && taskset -c 1 node --conditions=portcullis-source --import tsx audit/pipeline.ts --events 20000 --reps 9
 *   ... audit/pipeline.ts --kysely     # append through Kysely instead (PostgreSQL's code path)
 *
 * `taskset -c 1` keeps V8's GC helper threads on the one core too, as in the HTTP bench (without
 * it, CPU time can exceed wall time). It runs the library from source (the `portcullis-source`
 * condition), so no build is needed. The SQLite file is new on each run and deleted at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SecurityEventBus,
  buildSecurityEvent,
  deriveAuditChainKey,
  sealAuditBatch,
  type AuditChainHead,
  type SecurityEvent,
  type SecurityEventContext,
  type SecurityEventFields,
  type SecurityEventLogger,
} from 'portcullis/audit';
import { openDatabase } from '../../packages/server/src/db/open-database.ts';
import { migrateToLatest } from '../../packages/server/src/db/migrate.ts';
import { sqlAuditTrail } from '../../packages/server/src/db/audit-repository.ts';
import { positiveNumber } from '../lib/option-values.ts';
import { median } from '../lib/stats.ts';

const BATCH = 200;

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    reps: { type: 'string' },
    kysely: { type: 'boolean' },
  },
});
/** Append through Kysely (the PostgreSQL code path, and SQLite's before it had its own). */
const VIA_KYSELY = values.kysely === true;
const EVENTS = positiveNumber(values.events ?? process.env['BENCH_AUDIT_EVENTS'], '--events', true) ?? 20_000;
const REPS = positiveNumber(values.reps ?? process.env['BENCH_AUDIT_REPS'], '--reps', true) ?? 7;
if (EVENTS % BATCH !== 0) throw new RangeError(`--events must be a multiple of ${BATCH}`);

interface Sample {
  readonly cpuUs: number;
  readonly wallUs: number;
}

/** CPU (user + system) and wall microseconds of one run of `work`, per event. */
async function measure(events: number, work: () => Promise<void> | void): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  await work();
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuUs: (cpu.user + cpu.system) / events, wallUs: wall / events };
}

/** What `requestEventContext` hands the builder for a POST that created something. */
function inputs(count: number, tag: string): { contexts: SecurityEventContext[]; fields: SecurityEventFields[] } {
  const contexts: SecurityEventContext[] = [];
  const fields: SecurityEventFields[] = [];
  for (let index = 0; index < count; index += 1) {
    contexts.push({ requestId: `req-${tag}-${index.toString(36)}`, principal: 'user:u_6f1c2a9e4b7d', clientAddress: '127.0.0.1', method: 'POST', route: '/v1/orders' });
    fields.push({ postId: `ord_${tag}${index.toString(36).padStart(8, '0')}` });
  }
  return { contexts, fields };
}

function buildAll(contexts: readonly SecurityEventContext[], fields: readonly SecurityEventFields[]): SecurityEvent[] {
  const events: SecurityEvent[] = new Array(contexts.length);
  for (let index = 0; index < contexts.length; index += 1) events[index] = buildSecurityEvent('post.created', contexts[index], fields[index]);
  return events;
}

const silent: SecurityEventLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

const key = deriveAuditChainKey('pipeline-bench-secret-0123456789-abcdefghij');
const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-pipeline-'));
const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'audit.sqlite') });
await migrateToLatest(database.db);
const trail = sqlAuditTrail(database.db, key, VIA_KYSELY ? {} : { sqlite: database.sqlite });

const stages = ['build', 'publish', 'seal', 'append'] as const;
type Stage = (typeof stages)[number];
const samples: Record<Stage, Sample[]> = { build: [], publish: [], seal: [], append: [] };
let sealHead: AuditChainHead | undefined;

async function repetition(round: number, record: boolean): Promise<void> {
  const { contexts, fields } = inputs(EVENTS, round.toString(36));
  let events: SecurityEvent[] = [];
  const build = await measure(EVENTS, () => {
    events = buildAll(contexts, fields);
  });

  const bus = new SecurityEventBus({
    log: silent,
    trail: { store: { append: () => Promise.resolve() }, queue: { flushIntervalMs: 100, maxBatch: BATCH, capacity: 10_000 } },
    alerts: false,
  });
  const publish = await measure(EVENTS, async () => {
    for (let start = 0; start < events.length; start += BATCH) {
      for (let index = start; index < start + BATCH; index += 1) void bus.publish(events[index]!);
      await bus.flush();
    }
  });
  await bus.close();

  const seal = await measure(EVENTS, () => {
    for (let start = 0; start < events.length; start += BATCH) sealHead = sealAuditBatch(key, sealHead, events.slice(start, start + BATCH)).head;
  });

  const batches: SecurityEvent[][] = [];
  for (let start = 0; start < events.length; start += BATCH) batches.push(events.slice(start, start + BATCH));
  const append = await measure(EVENTS, async () => {
    for (const batch of batches) await trail.append(batch);
  });

  if (!record) return;
  samples.build.push(build);
  samples.publish.push(publish);
  samples.seal.push(seal);
  samples.append.push(append);
}

try {
  await repetition(0, false);
  for (let round = 1; round <= REPS; round += 1) await repetition(round, true);
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}

const format = (value: number): string => value.toFixed(2).padStart(8);
const row = (name: string, cpu: number, wall: number): string => `| ${name.padEnd(22)} | ${format(cpu)} | ${format(wall)} |`;
const cpuOf = (stage: Stage): number => median(samples[stage].map((sample) => sample.cpuUs));
const wallOf = (stage: Stage): number => median(samples[stage].map((sample) => sample.wallUs));
const totals = samples.build.map((_, index) => ({
  cpuUs: samples.build[index]!.cpuUs + samples.publish[index]!.cpuUs + samples.append[index]!.cpuUs,
  wallUs: samples.build[index]!.wallUs + samples.publish[index]!.wallUs + samples.append[index]!.wallUs,
}));

console.log(`audit pipeline: ${EVENTS} events x ${REPS} repetitions (after a warm-up), batches of ${BATCH}, append ${VIA_KYSELY ? 'through Kysely' : 'on the SQLite connection'}; medians, microseconds per event`);
console.log('');
console.log(`| ${'stage'.padEnd(22)} | ${'cpu us'.padStart(8)} | ${'wall us'.padStart(8)} |`);
console.log(`| ${'-'.repeat(22)} | ${'-'.repeat(8)} | ${'-'.repeat(8)} |`);
console.log(row('build', cpuOf('build'), wallOf('build')));
console.log(row('publish + enqueue', cpuOf('publish'), wallOf('publish')));
console.log(row('seal', cpuOf('seal'), wallOf('seal')));
console.log(row('append (seal included)', cpuOf('append'), wallOf('append')));
console.log(row('total (build+pub+app)', median(totals.map((total) => total.cpuUs)), median(totals.map((total) => total.wallUs))));
