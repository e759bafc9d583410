import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { PortcullisError } from '../errors/index.js';
import { declaredFields, listFields, refusesUnknownFields } from '../input/schema-shape.js';
import { NO_QUERY_LISTS, withListValues, type QueryListRules } from '../input/query-repeats.js';
import { validateInput, type ParseSchema } from '../input/validate-schema.js';
import type { RouteInput } from './route-authorization.js';

/**
 * V1 and V2 per route, decided once when the route is registered: the preValidation hook checking
 * `config.portcullis.input` (headers, params, query, body, in that order), the query parameters the
 * route takes as lists (the only ones allowed to repeat), and the inventory's view of the route:
 * what a schema checks, and the gaps (a schema that lets unknown fields through, a handler that
 * reads the query string with no schema for it). A malformed declaration stops the server from
 * starting, naming the route.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => void;

export interface CompiledRouteInput {
  /** The preValidation hook (with no query schema, it refuses any query parameter). */
  readonly hook: Hook | undefined;
  /** No schema at all: the route's handler must be wrapped with refusingQueryParameters. */
  readonly refuseQueryInHandler: boolean;
  readonly queryLists: QueryListRules;
  readonly validates: { readonly body: boolean; readonly query: boolean; readonly params: boolean; readonly headers: boolean };
  readonly unknownFields: 'refuse' | 'strip';
  readonly fields: { readonly body: readonly string[]; readonly query: readonly string[]; readonly headers: readonly string[] };
  readonly gaps: readonly string[];
}

/**
 * A handler whose source reads `request.query` (or destructures `query` from its request). A
 * heuristic for the inventory, not a guard: a handler reading it through a helper goes unseen.
 */
const READS_QUERY = /\.query\b(?!\s*\()|\[\s*['"`]query['"`]\s*\]|^(?:async\s*)?(?:function\b[^(]*)?\(\s*\{[^}]*\bquery\b/;

function invalid(routeName: string, problem: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `route ${routeName}: ${problem}` });
}

function headerNamesOf(schema: ParseSchema<unknown>, routeName: string): readonly string[] {
  const names = declaredFields(schema);
  if (names === undefined) throw invalid(routeName, 'input.headers must be an object schema naming the headers the route reads');
  const upper = names.find((name) => name !== name.toLowerCase());
  if (upper !== undefined) throw invalid(routeName, 'input.headers names must be lower-case (Node lower-cases every incoming header name)');
  return names;
}

function strippingFields(schema: ParseSchema<unknown> | undefined, part: string, routeName: string): ReadonlySet<string> | undefined {
  if (schema === undefined) return undefined;
  const names = declaredFields(schema);
  if (names === undefined) throw invalid(routeName, `unknownFields: 'strip' needs an object schema for the ${part}`);
  return new Set(names);
}

/** Only the fields `keep` names, when `value` is an object; anything else is left to the schema. */
function withoutUnknownFields(value: unknown, keep: ReadonlySet<string> | undefined): unknown {
  if (keep === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const name of Object.keys(value)) if (keep.has(name)) kept[name] = (value as Record<string, unknown>)[name];
  return kept;
}

function pickHeaders(headers: FastifyRequest['headers'], names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

function inputGaps(input: RouteInput | undefined, unknownFields: 'refuse' | 'strip', handler: unknown): string[] {
  const gaps: string[] = [];
  if (unknownFields === 'refuse') {
    for (const part of ['body', 'query'] as const) {
      const schema = input?.[part];
      if (schema !== undefined && !refusesUnknownFields(schema)) gaps.push(`${part} schema accepts unknown fields (use a strict object, or unknownFields: 'strip')`);
    }
  }
  if (input?.query === undefined && typeof handler === 'function' && READS_QUERY.test(Function.prototype.toString.call(handler))) {
    gaps.push('reads the query string without a query schema');
  }
  return gaps;
}

const NO_QUERY_MESSAGE = 'Unknown field: not allowed here';

/**
 * V1: a route that declares no query schema takes no query parameter. A stray `?isAdmin=true` on
 * such a route is the 400 a strict query schema gives an unknown member (`unrecognized_keys`,
 * field `query`): silently ignoring it would let a client believe a parameter had an effect, and
 * would let a handler that later reads `request.query` do so unchecked. Checked in preValidation,
 * like a declared query schema, so authentication and authorization answer first. The client's
 * parameter name is never echoed.
 *
 * @example
 * assertNoQueryParameters({ foo: '1' }); // throws request.validation_failed
 */
export function assertNoQueryParameters(query: Readonly<Record<string, unknown>>): void {
  for (const _name in query) {
    throw new PortcullisError('request.validation_failed', { fieldErrors: [{ field: 'query', code: 'unrecognized_keys', message: NO_QUERY_MESSAGE }] });
  }
}

type RouteHandler = (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * The handler of a route with no schema at all, made to refuse any query parameter first. A
 * wrapper rather than a preValidation hook: it runs at the same point (after authentication,
 * authorization and the body), but a hook costs Fastify's hook runner on every request, some 3,700
 * instructions of the bench's ~270,000 (`npm run bench:instructions`), and a call costs next to
 * nothing. Fastify answers what a handler throws like any other error.
 */
export function refusingQueryParameters(handler: RouteHandler): RouteHandler {
  return function refuseQueryThenHandle(this: unknown, request: FastifyRequest, reply: FastifyReply): unknown {
    assertNoQueryParameters(request.query as Record<string, unknown>);
    return handler.call(this, request, reply);
  };
}

/**
 * Everything the plugin needs about one route's input. Throws `config.invalid` naming the route
 * for a header schema that is not an object of lower-case names, or `unknownFields: 'strip'` on a
 * schema whose fields cannot be read.
 *
 * @example
 * const compiled = compileRouteInput(route.config?.portcullis?.input, 'GET /v1/posts', route.handler);
 */
export function compileRouteInput(input: RouteInput | undefined, routeName: string, handler: unknown): CompiledRouteInput {
  const unknownFields = input?.unknownFields ?? 'refuse';
  if (unknownFields !== 'refuse' && unknownFields !== 'strip') throw invalid(routeName, "input.unknownFields must be 'refuse' or 'strip'");
  const validates = { body: input?.body !== undefined, query: input?.query !== undefined, params: input?.params !== undefined, headers: input?.headers !== undefined };
  const gaps = inputGaps(input, unknownFields, handler);
  const fields = { body: declaredFields(input?.body) ?? [], query: declaredFields(input?.query) ?? [], headers: declaredFields(input?.headers) ?? [] };
  if (input === undefined) return { hook: undefined, refuseQueryInHandler: true, queryLists: NO_QUERY_LISTS, validates, unknownFields, fields, gaps };

  const { body, query, params, headers } = input;
  const headerNames = headers === undefined ? [] : headerNamesOf(headers, routeName);
  const keepBody = unknownFields === 'strip' ? strippingFields(body, 'body', routeName) : undefined;
  const keepQuery = unknownFields === 'strip' ? strippingFields(query, 'query', routeName) : undefined;
  const queryLists: QueryListRules = query === undefined ? NO_QUERY_LISTS : { lists: listFields(query), declared: new Set(declaredFields(query) ?? []) };
  if (body === undefined && query === undefined && params === undefined && headers === undefined) return { hook: undefined, refuseQueryInHandler: true, queryLists, validates, unknownFields, fields, gaps };

  const hook: Hook = (request, _reply, next) => {
    try {
      if (headers !== undefined) {
        // Merged over the raw headers by Fastify's setter: the handler reads the parsed values.
        request.headers = validateInput(headers, pickHeaders(request.headers, headerNames), 'headers') as FastifyRequest['headers'];
      }
      if (params !== undefined) request.params = validateInput(params, request.params, 'params');
      if (query !== undefined) {
        const given = withListValues(request.query as Record<string, unknown>, queryLists.lists);
        request.query = validateInput(query, withoutUnknownFields(given, keepQuery), 'query');
      } else {
        assertNoQueryParameters(request.query as Record<string, unknown>);
      }
      if (body !== undefined) request.body = validateInput(body, withoutUnknownFields(request.body, keepBody), 'body');
    } catch (error) {
      next(error as Error);
      return;
    }
    next();
  };
  return { hook, refuseQueryInHandler: false, queryLists, validates, unknownFields, fields, gaps };
}
