/**
 * V2 HTTP parameter pollution, one rule: a query parameter is given once, unless the route's query
 * schema declares it as a list (an array), and then every value is passed, in order, as an array
 * (a single value too). Refusing beats picking the first or the last value: proxies, caches, WAFs
 * and frameworks disagree on which of `?limit=1&limit=100` wins, so a repeat lets a client show a
 * checker one value and the handler another. Fastify's parser (fast-querystring) percent-decodes
 * names before grouping, so `?%61=1&a=2` repeats `a`; it does not expand brackets, so `a[]` is a
 * name of its own, which a strict query schema refuses as unknown.
 */
import { PortcullisError, type FieldError } from '../errors/index.js';

export interface QueryListRules {
  /** Parameters the route's schema declares as arrays: these may repeat. */
  readonly lists: ReadonlySet<string>;
  /** Every parameter the schema declares: only these are named in a refusal (never a client's own name). */
  readonly declared: ReadonlySet<string>;
}

/** No schema, or one that declares no list: nothing may repeat. */
export const NO_QUERY_LISTS: QueryListRules = Object.freeze({ lists: new Set<string>(), declared: new Set<string>() });

const REPEAT_MESSAGE = 'Given more than once; this parameter takes one value';

/** True when any parameter of a parsed query was given more than once (the parser made it an array). */
export function hasRepeatedParameter(query: Readonly<Record<string, unknown>>): boolean {
  for (const name in query) if (Array.isArray(query[name])) return true;
  return false;
}

/**
 * Throws the route's usual 400 `request.validation_failed` when a parameter that is not a declared
 * list was given more than once, with one field error of code `duplicate_parameter` per repeat.
 * A declared parameter is named; an undeclared one is the client's own text, not echoed, and is
 * reported as `query`.
 *
 * @example
 * assertSingleValuedQuery({ limit: ['1', '100'] }, NO_QUERY_LISTS); // throws
 */
export function assertSingleValuedQuery(query: Readonly<Record<string, unknown>>, rules: QueryListRules): void {
  const fieldErrors: FieldError[] = [];
  for (const name in query) {
    if (!Array.isArray(query[name]) || rules.lists.has(name)) continue;
    const field = rules.declared.has(name) ? name : 'query';
    if (!fieldErrors.some((error) => error.field === field)) fieldErrors.push({ field, code: 'duplicate_parameter', message: REPEAT_MESSAGE });
  }
  if (fieldErrors.length > 0) throw new PortcullisError('request.validation_failed', { fieldErrors });
}

/**
 * The query with every declared list parameter as an array, so a list given once reaches the
 * schema as `['x']`, not `'x'`. Returns `query` itself when nothing changes.
 */
export function withListValues(query: Readonly<Record<string, unknown>>, lists: ReadonlySet<string>): Readonly<Record<string, unknown>> {
  let copy: Record<string, unknown> | undefined;
  for (const name of lists) {
    const value = query[name];
    if (value === undefined || Array.isArray(value)) continue;
    copy ??= { ...query };
    copy[name] = [value];
  }
  return copy ?? query;
}
