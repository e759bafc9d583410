import { PortcullisError } from 'portcullis/errors';

/**
 * What a test helper does when a real backing service (PostgreSQL, Redis) is missing: on a
 * developer machine the tests that need it are skipped behind a banner nobody can miss; under
 * CI=true it is a failure, because a green run that silently skipped half the suite is a lie.
 */

const announced = new Set<string>();

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Throws `storage.unavailable` under CI=true; otherwise prints a banner once per service and
 * returns, so the caller skips that service's tests. `variable` names the URL's environment variable.
 */
export function reportUnavailableService(service: string, variable: string, url: string, reason: string): void {
  const where = `${service} at ${redactUrl(url)}`;
  if (process.env.CI === 'true') {
    throw new PortcullisError('storage.unavailable', { detail: `${where} is unreachable (${reason}); CI=true requires it` });
  }
  if (announced.has(service)) return;
  announced.add(service);
  const bar = '!'.repeat(78);
  console.error(
    [
      '',
      bar,
      `!! ${service} IS NOT REACHABLE: ITS TESTS ARE SKIPPED`,
      `!! ${where}: ${reason}`,
      `!! Start it or point ${variable} at one. Under CI=true this is a failure.`,
      bar,
      '',
    ].join('\n'),
  );
}

/** A short, secret-free description of why a connection attempt failed. */
export function describeFailure(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message.slice(0, 200);
  }
  return String(error).slice(0, 200);
}
