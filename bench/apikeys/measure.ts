/**
 * One measuring process: opens the scenario's store, builds one API key verifier over it (cache
 * on and filled for the warm scenarios, off for the cold ones), warms it up, times verifications
 * for a fixed duration while counting storage lookups, then proves on the same instance that it
 * returns the stored keys and refuses the keys it must. Runs as compiled JavaScript, pinned by the
 * orchestrator, and answers with one `RESULT <json>` line.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createApiKeyVerifier, DEFAULT_API_KEY_CACHE_SIZE, type ApiKeyLookup, type ApiKeyVerifier, type VerifiedApiKey } from 'portcullis/auth';
import { processCpuSeconds } from '../lib/cpu-time.ts';
import { RESULT_MARKER, type ExpectedKey, type Fixture, type MeasureRequest, type MeasureResult } from './protocol.ts';
import { WARM_CACHE_TTL_MS, scenarioById, type Scenario } from './scenarios.ts';
import { openPostgresLookup, openSqliteLookup } from './storage.ts';

/** Verifications between two clock reads when one runs at a time. */
const BATCH = 256;

/** Keeps every result alive so no verification can be optimised away. */
let sink = 0;

/**
 * Each verification gets a fresh string, as the hook gets one from `authorization.slice(7)`: V8
 * keeps a string's hash inside the string, so presenting the same string objects over and over
 * would time a cache lookup with the hash already computed, which no request enjoys.
 */
const BEARER = 'Bearer '.length;
const asHeaders = (keys: readonly string[]): string[] => keys.map((key) => `Bearer ${key}`);

function timeSync(verifyCached: (key: string) => VerifiedApiKey | undefined, headers: readonly string[], untilMs: number): number {
  let count = 0;
  let next = 0;
  do {
    for (let index = 0; index < BATCH; index += 1) {
      const verified = verifyCached(headers[next]!.slice(BEARER));
      if (verified === undefined) throw new Error('a hot key was missing from the cache: the measurement would include lookups');
      sink += verified.key.id.length;
      next = next + 1 === headers.length ? 0 : next + 1;
    }
    count += BATCH;
  } while (performance.now() < untilMs);
  return count;
}

/** `concurrency` loops share one cursor, so the keys in flight at any moment are all different. */
async function timeAsync(verify: (key: string) => Promise<{ key: { id: string } }>, headers: readonly string[], concurrency: number, untilMs: number): Promise<number> {
  let count = 0;
  let next = 0;
  const batch = concurrency === 1 ? BATCH : 1;
  const loop = async (): Promise<void> => {
    do {
      for (let index = 0; index < batch; index += 1) {
        const key = headers[next]!.slice(BEARER);
        next = next + 1 === headers.length ? 0 : next + 1;
        sink += (await verify(key)).key.id.length;
      }
      count += batch;
    } while (performance.now() < untilMs);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return count;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; code: string };

async function attempt<T>(work: () => T | Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, code: String((error as { code?: unknown })?.code ?? (error as Error)?.message ?? error) };
  }
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function mismatches(verified: VerifiedApiKey, expected: ExpectedKey): string[] {
  const { key } = verified;
  const found: string[] = [];
  if (key.id !== expected.id || key.userId !== expected.userId || key.name !== expected.name) found.push(`returned key ${key.id} of ${key.userId}, expected ${expected.id} of ${expected.userId}`);
  if (!sameJson([...key.scopes].sort(), [...expected.scopes].sort()) || !sameJson([...verified.scopes].sort(), [...expected.scopes].sort())) found.push(`scopes ${JSON.stringify(key.scopes)}`);
  if ((key.expiresAt ?? null) !== expected.expiresAt) found.push(`expiresAt ${key.expiresAt}`);
  if (!sameJson(key.rateLimit ?? null, expected.rateLimit) || !sameJson(key.quota ?? null, expected.quota)) found.push(`rate limit or quota ${JSON.stringify([key.rateLimit, key.quota])}`);
  return found;
}

/**
 * Valid keys come back as stored, every refused key throws the right code (and reaches storage
 * only when it is well formed), a secret inside its grace period is accepted; with the cache on,
 * a cached revoked or expired key is still refused, and with it off nothing is cached.
 */
async function checkVerifier(verifier: ApiKeyVerifier, scenario: Scenario, fixture: Fixture): Promise<{ passed: number; problems: string[] }> {
  const problems: string[] = [];
  let passed = 0;
  const warm = scenario.cache === 'warm';
  // The Fastify hook's order: the synchronous cache first, storage on a miss.
  const verifyOnce = (key: string): Promise<VerifiedApiKey> =>
    scenario.id === 'warm-sync' ? Promise.resolve(verifier.verifyCached(key) ?? verifier.verify(key)) : verifier.verify(key);
  const expect = (ok: boolean, problem: string): void => {
    if (ok) passed += 1;
    else problems.push(problem);
  };

  for (const sample of fixture.samples) {
    const outcome = await attempt(() => verifyOnce(sample.key));
    if (!outcome.ok) expect(false, `refused a valid key (${outcome.code})`);
    else {
      const wrong = mismatches(outcome.value, sample);
      expect(wrong.length === 0, `a valid key came back wrong: ${wrong.join('; ')}`);
    }
    if (warm) expect(verifier.verifyCached(sample.key)?.key.id === sample.id, 'a hot key was not answered from the cache');
  }
  for (const refusal of fixture.refusals) {
    const before = verifier.lookups;
    const outcome = await attempt(() => verifyOnce(refusal.key));
    expect(!outcome.ok && outcome.code === refusal.code, `${refusal.label}: ${outcome.ok ? 'accepted' : `refused with ${outcome.code}`}, expected ${refusal.code}`);
    const lookups = verifier.lookups - before;
    const expectedLookups = refusal.kind === 'malformed' ? 0 : 1;
    expect(lookups === expectedLookups, `${refusal.label}: ${lookups} storage lookup(s), expected ${expectedLookups}`);
    if (warm && refusal.kind !== 'malformed') {
      // Storage's answer is cached even when it refuses; the refusal must hold on a cache hit too.
      const again = await attempt(() => verifier.verifyCached(refusal.key));
      const ok = refusal.kind === 'unknown' ? again.ok && again.value === undefined : !again.ok && again.code === refusal.code;
      expect(ok, `${refusal.label}: from the cache ${again.ok ? (again.value === undefined ? 'a miss' : 'accepted') : `refused with ${again.code}`}`);
    }
  }
  const grace = await attempt(() => verifyOnce(fixture.graceSecret.key));
  expect(grace.ok && grace.value.key.id === fixture.graceSecret.id, `a rotated-out secret inside its grace period: ${grace.ok ? `opened ${grace.value.key.id}` : `refused with ${grace.code}`}`);
  if (!warm) expect(verifier.cachedKeys === 0, `the cache is off but holds ${verifier.cachedKeys} entries`);
  return { passed, problems };
}

/**
 * Pins the backends serving this process's own connections to `cpu` (they live only as long as
 * those connections), so the database has the core the measuring process is not on.
 */
function pinBackends(pids: readonly number[], cpu: number | null): { pinnedTo: number | null; pinning: string } {
  if (cpu === null) return { pinnedTo: null, pinning: 'not pinned (pinning is off)' };
  if (backendCpuSeconds(pids) === null) return { pinnedTo: null, pinning: 'not pinned (the backends are not visible in /proc: another machine or namespace)' };
  for (const pid of pids) {
    const outcome = spawnSync('taskset', ['-pc', String(cpu), String(pid)], { stdio: 'ignore' });
    if (outcome.error !== undefined || outcome.status !== 0) return { pinnedTo: null, pinning: `not pinned (taskset -pc ${cpu} ${pid} failed)` };
  }
  return { pinnedTo: cpu, pinning: `pinned to cpu ${cpu} (taskset -pc ${cpu} on each backend of this run's connections)` };
}

/** The last CPU a process ran on (field 39 of /proc/<pid>/stat), or undefined. */
function lastCpu(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const processor = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
    return Number.isInteger(processor) ? processor : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds of PostgreSQL backends on this machine, or null when /proc does not show them as postgres. */
function backendCpuSeconds(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return null;
    }
    const seconds = processCpuSeconds(pid);
    if (command !== 'postgres' || seconds === undefined) return null;
    total += seconds;
  }
  return total;
}

function emptyResult(concurrency: number, keysInRotation: number): MeasureResult {
  return {
    verifications: 0,
    warmupVerifications: 0,
    seconds: 0,
    cpuSeconds: 0,
    lookups: { priming: 0, warmup: 0, timed: 0, checks: 0 },
    cachedKeys: 0,
    keysInRotation,
    concurrency,
    database: null,
    sqliteJournalMode: null,
    checksPassed: 0,
    problems: [],
  };
}

async function measureVerifier(request: MeasureRequest, scenario: Scenario, fixture: Fixture): Promise<MeasureResult> {
  const hashSecret = Buffer.from(fixture.secretHex, 'hex');
  const warm = scenario.cache === 'warm';
  const keys = warm ? fixture.keys.slice(0, fixture.hotKeyCount) : fixture.keys;
  const concurrency = scenario.storage === 'postgres' ? request.concurrency : 1;
  const result = emptyResult(concurrency, keys.length);

  let lookup: ApiKeyLookup;
  let close: () => void | Promise<void>;
  let backends: number[] = [];
  if (scenario.storage === 'postgres') {
    if (fixture.postgres === null) throw new Error('no PostgreSQL target in the fixture');
    const store = openPostgresLookup(fixture.postgres, request.poolSize);
    backends = await store.openAll();
    ({ lookup, close } = store);
    result.database = { backends: backends.length, ...pinBackends(backends, request.databaseCpu), backendCpuSeconds: null, backendCpus: [] };
  } else {
    const store = openSqliteLookup(fixture.sqlitePath);
    result.sqliteJournalMode = store.journalMode;
    if (store.journalMode !== 'wal') result.problems.push(`the SQLite database is in ${store.journalMode} mode, not wal`);
    ({ lookup, close } = store);
  }
  const verifier = createApiKeyVerifier(
    warm
      ? { lookup, hashSecret, cacheTtlMs: WARM_CACHE_TTL_MS, cacheSize: Math.max(DEFAULT_API_KEY_CACHE_SIZE, keys.length) }
      : { lookup, hashSecret, cacheTtlMs: 0, cacheSize: 0 },
  );
  const headers = asHeaders(keys);
  const run = (untilMs: number): number | Promise<number> =>
    scenario.id === 'warm-sync' ? timeSync(verifier.verifyCached, headers, untilMs) : timeAsync(verifier.verify, headers, concurrency, untilMs);

  if (warm) {
    for (const key of keys) await verifier.verify(key);
    result.lookups.priming = verifier.lookups;
    if (result.lookups.priming !== keys.length || verifier.cachedKeys !== keys.length) {
      result.problems.push(`filling the cache took ${result.lookups.priming} lookups and left ${verifier.cachedKeys} entries for ${keys.length} keys`);
    }
  }
  if (request.mode === 'measure') {
    let mark = verifier.lookups;
    result.warmupVerifications = await run(performance.now() + request.warmupMs);
    result.lookups.warmup = verifier.lookups - mark;

    const backendCpuBefore = backendCpuSeconds(backends);
    const cpuBefore = process.cpuUsage();
    mark = verifier.lookups;
    const started = performance.now();
    result.verifications = await run(started + request.durationMs);
    result.seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    result.lookups.timed = verifier.lookups - mark;
    result.cachedKeys = verifier.cachedKeys;
    const backendCpuAfter = backendCpuSeconds(backends);
    if (result.database !== null) {
      result.database.backendCpuSeconds = backendCpuBefore === null || backendCpuAfter === null ? null : backendCpuAfter - backendCpuBefore;
      result.database.backendCpus = [...new Set(backends.map(lastCpu).filter((cpuId): cpuId is number => cpuId !== undefined))].sort((a, b) => a - b);
    }

    const expectedLookups = warm ? { warmup: 0, timed: 0 } : { warmup: result.warmupVerifications, timed: result.verifications };
    if (result.lookups.warmup !== expectedLookups.warmup || result.lookups.timed !== expectedLookups.timed) {
      result.problems.push(
        `${result.lookups.warmup} + ${result.lookups.timed} lookups for ${result.warmupVerifications} + ${result.verifications} verifications (warm-up + timed), expected ${expectedLookups.warmup} + ${expectedLookups.timed}`,
      );
    }
  }
  const mark = verifier.lookups;
  const checked = await checkVerifier(verifier, scenario, fixture);
  result.lookups.checks = verifier.lookups - mark;
  result.checksPassed = checked.passed;
  result.problems.push(...checked.problems);
  await close();
  return result;
}

/** The reference: the keyed hash and a map lookup, what a cache keyed by the hash pays at least. */
async function measureHmacLookup(request: MeasureRequest, fixture: Fixture): Promise<MeasureResult> {
  const secret = Buffer.from(fixture.secretHex, 'hex');
  const keys = fixture.keys.slice(0, fixture.hotKeyCount);
  const hashOf = (key: string): string => createHmac('sha256', secret).update(key, 'utf8').digest('base64url');
  const table = new Map(keys.map((key) => [hashOf(key), { key: { id: key.slice(0, 16) } }]));
  const find = (key: string): { key: { id: string } } | undefined => table.get(hashOf(key));
  const result = emptyResult(1, keys.length);
  const misses = keys.filter((key) => find(key) === undefined).length;
  if (misses > 0) result.problems.push(`${misses} hot keys not found`);
  if (find(fixture.refusals.find((refusal) => refusal.kind === 'unknown')!.key) !== undefined) result.problems.push('found a key that was never issued');
  result.checksPassed = 2 - result.problems.length;
  if (request.mode === 'measure' && result.problems.length === 0) {
    const headers = asHeaders(keys);
    timeHmacLookup(find, headers, performance.now() + request.warmupMs);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    result.verifications = timeHmacLookup(find, headers, started + request.durationMs);
    result.seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  }
  return result;
}

function timeHmacLookup(find: (key: string) => { key: { id: string } } | undefined, headers: readonly string[], untilMs: number): number {
  let count = 0;
  let next = 0;
  do {
    for (let index = 0; index < BATCH; index += 1) {
      sink += find(headers[next]!.slice(BEARER))?.key.id.length ?? 0;
      next = next + 1 === headers.length ? 0 : next + 1;
    }
    count += BATCH;
  } while (performance.now() < untilMs);
  return count;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as MeasureRequest;
  const fixture = JSON.parse(readFileSync(request.fixturePath, 'utf8')) as Fixture;
  const scenario = scenarioById(request.scenario);
  const result = scenario.storage === 'none' ? await measureHmacLookup(request, fixture) : await measureVerifier(request, scenario, fixture);
  if (request.mode === 'measure' && sink === 0) result.problems.push('no verification returned a key');
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
}
