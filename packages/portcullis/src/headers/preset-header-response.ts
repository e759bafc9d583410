import { IncomingMessage, ServerResponse, validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';

/**
 * T3 at the cost of one string join: the headers that are the same on every response (security
 * headers, CORS for an allowed origin) go out as one block of header lines, validated once when
 * built, instead of one by one through the framework's and Node's per-header path, which checks,
 * lower-cases and joins every name and value again on every response. Measured with
 * `npm run bench:instructions` (bench/README.md): eleven headers cost bare Fastify about 39k
 * instructions a request that way, about 5k as a block.
 *
 * The block is text that Node has not seen, so two things keep the head correct:
 * - a header the response sets itself wins: at `writeHead`, a preset name the response also
 *   carries is left out of the block (as `reply.headers(preset)` followed by `reply.header()` would
 *   have replaced it), so no name is ever sent twice;
 * - the block is joined to the head Node builds (`_header`, which Node writes out with the first
 *   body bytes). A probe at start-up checks that this Node builds its head that way; where it does
 *   not, `PRESET_HEADERS_SUPPORTED` is false and adapters set the headers the ordinary way.
 *
 * What changes for code reading headers back: a preset header is not in `getHeader()` or
 * `getHeaders()` of the response; it is on the wire.
 */

/** Header lines to add to every response they are attached to. */
export interface PresetHeaderBlock {
  /** The lower-case names, to leave out any the response sets itself. */
  readonly names: ReadonlySet<string>;
  /** `name: value\r\n` for each header, in the order of `names`. */
  readonly lines: readonly string[];
  /** Every line, joined. */
  readonly text: string;
}

const blocks = new WeakMap<object, PresetHeaderBlock>();

/**
 * The block for a frozen header map, built (and each name and value validated as Node would)
 * once per map. Names must be lower-case, as every header map of ours is.
 *
 * @example
 * response.presetHeaders = presetHeaderBlock(headers.always);
 */
export function presetHeaderBlock(headers: Readonly<Record<string, string>>): PresetHeaderBlock {
  let block = blocks.get(headers);
  if (block === undefined) {
    const entries = Object.entries(headers);
    for (const [name, value] of entries) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      if (name !== name.toLowerCase()) throw new TypeError(`preset header names are lower-case: ${name}`);
    }
    const lines = Object.freeze(entries.map(([name, value]) => `${name}: ${value}\r\n`));
    block = Object.freeze({ names: new Set(entries.map(([name]) => name)), lines, text: lines.join('') });
    blocks.set(headers, block);
  }
  return block;
}

interface NodeHead {
  _header?: unknown;
}

function appendsToHead(): boolean {
  try {
    const probe = new ServerResponse(new IncomingMessage(new Socket()));
    probe.writeHead(200, { 'x-probe': '1' });
    const head = (probe as unknown as NodeHead)._header;
    return typeof head === 'string' && head.endsWith('\r\n\r\n') && head.includes('\r\nx-probe: 1\r\n');
  } catch {
    return false;
  }
}

/** Whether this Node builds response heads the way PresetHeaderResponse extends them. */
export const PRESET_HEADERS_SUPPORTED = appendsToHead();

/** Adds to `names` the lower-case names of the headers passed to writeHead, in any form it takes. */
function addNamesGiven(names: string[], headers: unknown): string[] {
  if (headers === undefined || headers === null || typeof headers !== 'object') return names;
  if (Array.isArray(headers)) {
    // writeHead's flat [name, value, ...] or nested [[name, value], ...] form.
    for (let index = 0; index < headers.length; index += 1) {
      const item: unknown = headers[index];
      const name = Array.isArray(item) ? item[0] : index % 2 === 0 ? item : undefined;
      if (typeof name === 'string') names.push(name.toLowerCase());
    }
    return names;
  }
  for (const name in headers) {
    if ((headers as OutgoingHttpHeaders)[name] !== undefined) names.push(name.toLowerCase());
  }
  return names;
}

/** The block's text without the lines of `taken` names, or the whole text when none is taken. */
function linesNotTaken(block: PresetHeaderBlock, taken: readonly string[]): string {
  let clash = false;
  for (const name of taken) {
    if (block.names.has(name)) {
      clash = true;
      break;
    }
  }
  if (!clash) return block.text;
  const skip = new Set(taken);
  let text = '';
  let index = 0;
  for (const name of block.names) {
    if (!skip.has(name)) text += block.lines[index];
    index += 1;
  }
  return text;
}

/**
 * Node's ServerResponse, adding `presetHeaders` (when set) to the head it writes. Give it to
 * `http.createServer({ ServerResponse: PresetHeaderResponse })` (or https).
 */
export class PresetHeaderResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  presetHeaders: PresetHeaderBlock | undefined = undefined;

  override writeHead(statusCode: number, reason?: string | OutgoingHttpHeaders | readonly unknown[], headers?: OutgoingHttpHeaders | readonly unknown[]): this {
    const block = this.presetHeaders;
    if (block === undefined || !PRESET_HEADERS_SUPPORTED) {
      return super.writeHead(statusCode, reason as string, headers as OutgoingHttpHeaders);
    }
    // Names set earlier with setHeader() come back lower-case, in a fresh array.
    const taken = addNamesGiven(this.getHeaderNames(), typeof reason === 'string' ? headers : reason);
    const text = linesNotTaken(block, taken);
    super.writeHead(statusCode, reason as string, headers as OutgoingHttpHeaders);
    const head = this as unknown as NodeHead;
    if (typeof head._header === 'string') head._header = head._header.slice(0, -2) + text + '\r\n';
    return this;
  }
}
