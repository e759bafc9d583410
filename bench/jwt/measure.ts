/**
 * One measuring process: builds one contender's verifier, proves it accepts the token and refuses
 * every tampered one, then warms it up and times verifications of the same token for a fixed
 * duration. Runs as compiled JavaScript, pinned by the orchestrator, and answers with one
 * `RESULT <json>` line.
 */
import { contenderById, SUBJECT } from './contenders.ts';
import { RESULT_MARKER, type Fixture, type MeasureRequest, type MeasureResult } from './protocol.ts';
import { buildVerifier, type Verifier } from './verifiers.ts';

/** Verifications between two clock reads. */
const BATCH = 256;

const segment = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Tokens each contender must refuse, made from the fixture's valid one. */
function tamperedTokens(fixture: Fixture, checksClaims: boolean): [string, string][] {
  const [header, payload, signature] = fixture.token.split('.') as [string, string, string];
  const flipped = Buffer.from(signature, 'base64url');
  flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 0x01;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const headerFields = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
  const tampered: [string, string][] = [
    ['one signature bit flipped', `${header}.${payload}.${flipped.toString('base64url')}`],
    ['payload changed (role: admin), original signature', `${header}.${segment({ ...claims, role: 'admin' })}.${signature}`],
    ['alg none, no signature', `${segment({ ...headerFields, alg: 'none' })}.${payload}.`],
    ['signed with another key under the same kid', fixture.foreignKeyToken],
  ];
  if (checksClaims) {
    tampered.push(['expired a day ago (right key)', fixture.expiredToken], ['another audience (right key)', fixture.wrongAudienceToken]);
  }
  return tampered;
}

async function attempt(verifier: Verifier, token: string): Promise<{ ok: true; subject: string } | { ok: false; error: string }> {
  try {
    const subject = verifier.kind === 'sync' ? verifier.verify(token) : await verifier.verify(token);
    return { ok: true, subject };
  } catch (error) {
    return { ok: false, error: (error as Error)?.message ?? String(error) };
  }
}

async function check(verifier: Verifier, fixture: Fixture, checksClaims: boolean): Promise<string[]> {
  const problems: string[] = [];
  const valid = await attempt(verifier, fixture.token);
  if (!valid.ok) problems.push(`refused the valid token: ${valid.error}`);
  else if (valid.subject !== SUBJECT && valid.subject !== 'signature-only') problems.push(`verified the valid token but returned subject ${valid.subject}`);
  for (const [label, token] of tamperedTokens(fixture, checksClaims)) {
    const outcome = await attempt(verifier, token);
    if (outcome.ok) problems.push(`accepted a tampered token: ${label}`);
  }
  return problems;
}

function timeSync(verify: (token: string) => string, token: string, untilMs: number): number {
  let count = 0;
  let sink = 0;
  do {
    for (let index = 0; index < BATCH; index += 1) sink += verify(token).length;
    count += BATCH;
  } while (performance.now() < untilMs);
  if (sink === 0) throw new Error('no subject was returned');
  return count;
}

async function timeAsync(verify: (token: string) => Promise<string>, token: string, untilMs: number): Promise<number> {
  let count = 0;
  let sink = 0;
  do {
    for (let index = 0; index < BATCH; index += 1) sink += (await verify(token)).length;
    count += BATCH;
  } while (performance.now() < untilMs);
  if (sink === 0) throw new Error('no subject was returned');
  return count;
}

const run = (verifier: Verifier, token: string, untilMs: number): number | Promise<number> =>
  verifier.kind === 'sync' ? timeSync(verifier.verify, token, untilMs) : timeAsync(verifier.verify, token, untilMs);

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as MeasureRequest;
  const contender = contenderById(request.contender);
  const verifier = await buildVerifier(contender.id, request.fixture);
  const problems = await check(verifier, request.fixture, contender.checksClaims);
  const result: MeasureResult = { verifications: 0, seconds: 0, cpuSeconds: 0, problems };
  if (request.mode === 'measure' && problems.length === 0) {
    await run(verifier, request.fixture.token, performance.now() + request.warmupMs);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    result.verifications = await run(verifier, request.fixture.token, started + request.durationMs);
    result.seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  }
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
}
