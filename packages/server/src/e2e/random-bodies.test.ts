import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { ROOMY_LIMITS } from './identity.test-helpers.js';
import { assertNoEffect, assertSafeAnswer, fillPath, FuzzWorld, inputRoutes, send, snapshotState, type Route, type StateSnapshot } from './input-fuzz.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// V1 property-based, over real HTTP on SQLite and PostgreSQL: random JSON bodies, and objects made
// of each route's own field names with random values (alone or over a valid body), sent to every
// body-taking route of the app's inventory. Whatever arrives, the answer is a 2xx or a 4xx
// problem+json, never a 500, and nothing outside the suite's own data changes. The seed is fixed
// (FUZZ_SEED overrides it) and printed with any failure, so a failure replays exactly.

const SEED = Number(process.env['FUZZ_SEED'] ?? 7_312_024);
const RUNS_PER_ROUTE = 25;

/** Values a field might plausibly or implausibly hold. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.emailAddress(),
  fc.uuid(),
  fc.constantFrom('cookie', 'body', 'public', 'private', 'org', 'user', 'admin', 'active', 'disabled', 'profile:read', '123456'),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);

function fieldObjects(fields: readonly string[], base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const own = fc.record(Object.fromEntries(fields.map((field) => [field, fieldValue])), { requiredKeys: [] });
  return fc.oneof(own, own.map((random) => ({ ...base, ...random })));
}

describeEachDatabase('random JSON bodies on every body-taking route (V1)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let world: FuzzWorld;
  let initial: StateSnapshot;
  before(async () => {
    ({ server, database } = await startSuiteServer(target, ROOMY_LIMITS));
    world = await new FuzzWorld(server, database).build();
    initial = await snapshotState(world);
  });
  after(() => stopSuiteServer(server, database));

  const statuses = new Map<number, number>();
  const check = async (route: Route, body: unknown): Promise<void> => {
    const caller = await world.callerFor(route);
    const res = await send(server, {
      method: route.method,
      path: fillPath(route.path, world.realParams(route)),
      headers: { ...caller.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body) ?? 'null',
    });
    world.noteResponse(route, res);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assertSafeAnswer(res, `${route.method} ${route.path} (seed ${SEED}) with ${JSON.stringify(body)?.slice(0, 200)}`);
  };

  it('answers any JSON value, and any object of a route\'s own fields, with a 2xx or a 4xx problem+json', async (t) => {
    const routes = inputRoutes(server).filter((route) => route.validates.body);
    assert.ok(routes.length >= 20, `only ${routes.length} body-taking routes`);
    for (const route of routes) {
      const caller = await world.callerFor(route);
      const base = world.baseBody(route, caller);
      const bodies = fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 }), fieldObjects(route.fields.body, base));
      try {
        await fc.assert(fc.asyncProperty(bodies, (body) => check(route, body)), { seed: SEED, numRuns: RUNS_PER_ROUTE * 2 });
      } catch (error) {
        t.diagnostic(`failed on ${route.method} ${route.path}; replay with FUZZ_SEED=${SEED}`);
        throw error;
      }
    }
    const counts = Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]));
    t.diagnostic(`${routes.length} routes, seed ${SEED}; statuses ${JSON.stringify(counts)}`);
    assert.ok([...statuses.keys()].some((status) => status < 300), 'some random bodies were valid');
    await assertNoEffect(world, initial);
  });
});
