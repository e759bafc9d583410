import { z } from 'zod';
import { PortcullisError } from 'portcullis/errors';
import { versionLifecycle, type ApiVersionSpec, type VersionLifecycle } from 'portcullis/headers';

/**
 * The lifecycle of each API version the server serves (L2), from `API_VERSIONS`: a JSON object
 * by version name, e.g.
 * `{"v1":{"status":"deprecated","deprecatedAt":"2026-01-01T00:00:00Z","sunsetAt":"2026-07-01T00:00:00Z","link":"https://example.com/migrate-to-v2"}}`.
 * Unset: every served version is current. Naming a version the server does not serve is refused
 * (a typo would otherwise leave the real one current without a word).
 */

/** The versions this server has routes for. */
export const SERVED_API_VERSIONS = ['v1'] as const;

const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const versionSpec = z.strictObject({
  status: z.enum(['current', 'deprecated', 'sunset']),
  deprecatedAt: isoDate.optional(),
  sunsetAt: isoDate.optional(),
  link: z.url({ protocol: /^https?$/ }).optional(),
  sunsetLink: z.url({ protocol: /^https?$/ }).optional(),
});

const versionsSchema = z.record(z.string(), versionSpec);

function fail(detail: string): never {
  throw new PortcullisError('config.invalid', { detail: `API_VERSIONS: ${detail}` });
}

/** Throws `config.invalid` naming API_VERSIONS and the problem. */
export function resolveApiVersions(env: NodeJS.ProcessEnv): Readonly<Record<string, ApiVersionSpec>> {
  const versions: Record<string, ApiVersionSpec> = Object.fromEntries(SERVED_API_VERSIONS.map((name) => [name, { status: 'current' as const }]));
  const raw = env['API_VERSIONS'];
  if (raw === undefined || raw.trim() === '') return Object.freeze(versions);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail('must be a JSON object by version name, e.g. {"v1":{"status":"current"}}');
  }
  const parsed = versionsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`${issue?.path.map(String).join('.') || 'value'}: ${issue?.message ?? 'invalid value'}`);
  }
  for (const [name, spec] of Object.entries(parsed.data)) {
    if (!(SERVED_API_VERSIONS as readonly string[]).includes(name)) fail(`the server has no version ${JSON.stringify(name).slice(0, 40)} (it serves ${SERVED_API_VERSIONS.join(', ')})`);
    const clean: ApiVersionSpec = Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined)) as unknown as ApiVersionSpec;
    try {
      versionLifecycle(name, clean);
    } catch (error) {
      fail(error instanceof PortcullisError ? (error.detail ?? error.message) : 'invalid value');
    }
    versions[name] = Object.freeze(clean);
  }
  return Object.freeze(versions);
}

/** Each version's lifecycle (headers and refusal precomputed), by name. */
export function versionLifecycles(specs: Readonly<Record<string, ApiVersionSpec>>): Readonly<Record<string, VersionLifecycle>> {
  return Object.freeze(Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, versionLifecycle(name, spec)])));
}
