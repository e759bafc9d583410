/**
 * Before anything is measured, each variant must answer the benchmark request exactly as
 * specified and must really perform the checks it claims; otherwise its numbers mean nothing.
 */
import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { ALLOWED_ORIGIN, EXPECTED_REPLY, EXPECTED_STATUS, ORDER_BODY, ORDER_BODY_JSON, ORDER_ROUTE } from './fixture.ts';
import type { Variant } from './variants.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Attempt {
  token: string;
  body?: string;
}

function postOrder(port: number, attempt: Attempt): Promise<Reply> {
  const body = attempt.body ?? ORDER_BODY_JSON;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: ORDER_ROUTE,
        headers: {
          authorization: `Bearer ${attempt.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          origin: ALLOWED_ORIGIN,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Returns what is wrong with the variant; an empty list means it may be measured. */
export async function checkVariant(variant: Variant, port: number, token: string, forgedToken: string): Promise<string[]> {
  const problems: string[] = [];

  const ok = await postOrder(port, { token });
  if (ok.status !== EXPECTED_STATUS) problems.push(`valid request answered ${ok.status}, expected ${EXPECTED_STATUS}: ${ok.body.slice(0, 300)}`);
  if (!String(ok.headers['content-type']).startsWith('application/json')) problems.push(`content-type is ${ok.headers['content-type']}, expected application/json`);
  if (!isDeepStrictEqual(parseJson(ok.body), EXPECTED_REPLY)) problems.push(`reply body is ${ok.body.slice(0, 300)}, expected ${JSON.stringify(EXPECTED_REPLY)}`);

  if (variant.sendsCors) {
    if (ok.headers['access-control-allow-origin'] !== ALLOWED_ORIGIN) problems.push(`access-control-allow-origin is ${ok.headers['access-control-allow-origin']}, expected ${ALLOWED_ORIGIN}`);
    if (ok.headers['access-control-allow-credentials'] !== 'true') problems.push('access-control-allow-credentials is not "true"');
  }
  if (variant.sendsSecurityHeaders && ok.headers['x-content-type-options'] !== 'nosniff') {
    problems.push('x-content-type-options: nosniff is missing');
  }
  if (variant.verifiesJwt) {
    const forged = await postOrder(port, { token: forgedToken });
    if (forged.status !== 401) problems.push(`a token signed with another secret answered ${forged.status}, expected 401`);
  }
  if (variant.validatesBody) {
    const extraKey = await postOrder(port, { token, body: JSON.stringify({ ...ORDER_BODY, admin: true }) });
    if (extraKey.status !== 400) problems.push(`a body with an unknown key answered ${extraKey.status}, expected 400`);
  }
  return problems;
}
