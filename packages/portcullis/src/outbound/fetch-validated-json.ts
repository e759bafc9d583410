import { PortcullisError } from '../errors/index.js';
import { exceedsJsonDepth } from '../input/json-depth.js';
import type { ParseSchema } from '../input/validate-schema.js';
import type { OutboundClient } from './outbound-client.js';

/**
 * V8: a third party's answer is input like any other. This is the one call for consuming a JSON
 * API: it goes through the SSRF-safe client (so its limits, timeouts and TLS verification apply;
 * https is required unless the caller says otherwise), accepts only a 2xx answer labelled JSON,
 * bounds its nesting, parses it and validates it with the caller's schema before handing it
 * back. Every violation is a coded error whose detail never quotes the remote data.
 */

export interface FetchValidatedJsonOptions {
  /** Default GET. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON when given. */
  readonly body?: unknown;
  /** Lower than the client's limits for this call. */
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** Deepest nesting accepted in the answer. Default 32. */
  readonly maxDepth?: number;
  /** Require https on every hop. Default true: plain http is only for local tests. */
  readonly requireHttps?: boolean;
  /** Headers that are credentials (an API key header): dropped on a redirect to another origin. */
  readonly credentialHeaders?: readonly string[];
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Fetches `url` and returns the answer as `schema` parsed it. Throws the client's `outbound.*`
 * errors, or `outbound.status_refused` (not 2xx), `outbound.content_type_refused` (not JSON),
 * `outbound.response_invalid` (too deep, not JSON, or not matching the schema).
 *
 * @example
 * const rate = await fetchValidatedJson(client, 'https://api.example.com/rates/EUR', z.object({ rate: z.number() }));
 */
export async function fetchValidatedJson<T>(client: OutboundClient, url: string | URL, schema: ParseSchema<T>, options: FetchValidatedJsonOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await client.request(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    httpsOnly: options.requireHttps ?? true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
    ...(options.credentialHeaders === undefined ? {} : { credentialHeaders: options.credentialHeaders }),
  });
  if (response.status < 200 || response.status > 299) {
    throw new PortcullisError('outbound.status_refused', { detail: `The remote host answered with status ${response.status}.` });
  }
  if (!JSON_TYPE.test(String(response.headers['content-type'] ?? ''))) throw new PortcullisError('outbound.content_type_refused');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
  } catch {
    throw new PortcullisError('outbound.response_invalid', { detail: 'The remote answer is not UTF-8 text.' });
  }
  if (exceedsJsonDepth(text, options.maxDepth ?? 32)) throw new PortcullisError('outbound.response_invalid', { detail: 'The remote answer is nested too deeply.' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PortcullisError('outbound.response_invalid', { detail: 'The remote answer is not valid JSON.' });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PortcullisError('outbound.response_invalid', { detail: 'The remote answer does not match the expected schema.' });
  return parsed.data;
}
