import type { FastifyReply, FastifyRequest } from 'fastify';
import { PortcullisError } from '../errors/index.js';
import type { ParseSchema } from '../input/validate-schema.js';

/**
 * V6 by construction: a route that declares its success body (`config.portcullis.output`) sends
 * only what that schema declares. Its payload is parsed with the schema before Fastify
 * serialises it, so a field the schema does not name (a password hash, a token hash, an MFA
 * secret added to a row later) is dropped rather than sent, with a non-strict zod object, or
 * stops the response, with a strict one. A payload that does not match (a declared field missing
 * or of another type) is a bug in the route: the client gets the generic 500 with an errorId, and
 * the log names the fields at fault, never their values. The same schema documents the success
 * response in the OpenAPI document (L1).
 *
 * Only the declared status is checked (default 200); error bodies are problem+json, written by
 * the error handler as text, which Fastify does not pass through this hook. For the same reason a
 * handler that sends text, a Buffer or a stream is not checked: a route declaring an output
 * returns (or `send`s) the object itself, as every route of the reference server does.
 *
 * A route that answers without a body declares `{ status: 204 }`: the document says 204 instead
 * of a bare 2XX, and an object it sends with a success status anyway (a `reply.code(204)`
 * forgotten on one branch, which would send the handler's value with a 200) is the generic 500,
 * not data nobody declared.
 */

/** A success answer with a body: its schema, sent with `status`. */
export interface RouteBodyOutput {
  /** The success status the body is sent with. Default 200. */
  readonly status?: number;
  /** The body's schema (zod 4: z.object strips undeclared fields, z.strictObject refuses them). */
  readonly body: ParseSchema<unknown>;
}

/** A success answer without a body. */
export interface RouteNoContentOutput {
  readonly status: 204;
  readonly body?: undefined;
}

export type RouteOutput = RouteBodyOutput | RouteNoContentOutput;

type PreSerializationHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void;

const MAX_NAMED_ISSUES = 10;

function invalid(routeName: string, problem: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `route ${routeName}: ${problem}` });
}

/** The preSerialization hook for `output`, checked when the route is registered. */
export function routeOutputHook(output: RouteOutput, routeName: string): PreSerializationHook {
  if (output.status === 204 && output.body === undefined) return refusingBodiesHook(routeName);
  const status = output.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 299 || status === 204) {
    throw invalid(routeName, 'output.status must be a 2xx status with a body (204 declares no body)');
  }
  if (typeof output.body?.safeParse !== 'function') throw invalid(routeName, 'output.body must be a schema with safeParse (zod 4)');
  const schema = output.body;
  return function enforceRouteOutput(_request, reply, payload, done) {
    if (reply.statusCode !== status) {
      done(null, payload);
      return;
    }
    const result = schema.safeParse(payload);
    if (result.success) {
      done(null, result.data);
      return;
    }
    const fields = result.error.issues.slice(0, MAX_NAMED_ISSUES).map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.code}`);
    // A plain Error: the error handler answers the generic 500 and logs this message, which names fields, not values.
    done(new Error(`route ${routeName}: the response does not match its declared output (${fields.join('; ')})`));
  };
}

/**
 * A route declared to answer 204 reaches preSerialization only when it sends an object: with a
 * success status that is a body nobody declared (with a 204 Fastify would drop it, but the status
 * is what was forgotten), so it fails like any other undeclared output; an error status passes.
 */
function refusingBodiesHook(routeName: string): PreSerializationHook {
  return function refuseUndeclaredBody(_request, reply, payload, done) {
    if (reply.statusCode < 200 || reply.statusCode > 299) {
      done(null, payload);
      return;
    }
    done(new Error(`route ${routeName}: declares no content (204) but sent a body with status ${reply.statusCode}`));
  };
}
