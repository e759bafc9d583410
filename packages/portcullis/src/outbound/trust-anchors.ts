import { rootCertificates } from 'node:tls';

/**
 * The certificates an outbound TLS connection trusts when the caller names extra roots (`ca`).
 * Node's own `ca` option replaces the bundled Mozilla store, so handing it a private CA alone
 * would silently stop every public certificate from verifying; here the extra roots are added
 * to the bundled ones instead. Undefined (no `ca` given) leaves Node's default store untouched.
 */
export function trustAnchors(extra: string | Buffer | readonly (string | Buffer)[] | undefined): (string | Buffer)[] | undefined {
  if (extra === undefined) return undefined;
  const added: readonly (string | Buffer)[] = typeof extra === 'string' || Buffer.isBuffer(extra) ? [extra] : extra;
  return [...rootCertificates, ...added];
}
