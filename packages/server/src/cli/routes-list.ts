import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { PortcullisError } from 'portcullis/errors';
import type { RouteInventoryEntry } from 'portcullis/fastify';
import { buildApp } from '../app/build-app.js';
import { loadConfig } from '../config/load-config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import type { CliIo } from './cli-io.js';

/**
 * `routes` (Z1, L3): every route of the reference API with its method, path, policy, rate-limit
 * policies and which inputs a schema checks, and a flag on each gap. It builds the app exactly as
 * the server does but on a throwaway in-memory database, without listening or touching your data.
 * `--strict` exits 1 when any route has a gap (for CI).
 */
export async function routesList(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...args], options: { strict: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new PortcullisError('cli.usage', { detail: 'routes takes no positional arguments' });
  const config = { ...loadConfig(io.env), database: { kind: 'sqlite' as const, file: ':memory:' } };
  const database = await openDatabase(config.database);
  await migrateToLatest(database.db);
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const app = await buildApp({ config, database, logStream: silent });
  let routes: RouteInventoryEntry[];
  try {
    await app.ready();
    routes = app.portcullisRoutes().sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  } finally {
    await app.close();
  }
  const withGaps = routes.filter((route) => route.gaps.length > 0);
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ routes, gaps: withGaps.length }, null, 2)}\n`);
  } else {
    const rows = routes.map((route) => [
      route.method,
      route.path,
      route.policy,
      route.rateLimits.join(',') || '-',
      (['body', 'query', 'params', 'headers'] as const).filter((part) => route.validates[part]).join(',') || '-',
      route.gaps.length === 0 ? '' : `GAP: ${route.gaps.join('; ')}`,
    ]);
    const header = ['METHOD', 'PATH', 'POLICY', 'RATE LIMITS', 'SCHEMAS', ''];
    const widths = header.map((_, column) => Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)));
    for (const row of [header, ...rows]) io.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
    io.stdout.write(`\n${routes.length} routes, ${withGaps.length} with a gap\n`);
  }
  if (values.strict === true && withGaps.length > 0) throw new PortcullisError('config.invalid', { detail: `${withGaps.length} routes have a gap` });
}
