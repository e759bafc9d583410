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
 */

export interface RouteOutput {
  /** The success status the body is sent with. Default 200. */
  readonly status?: number;
  /** The body's schema (zod 4: z.object strips undeclared fields, z.strictObject refuses them). */
  readonly body: ParseSchema<unknown>;
}

type PreSerializationHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void;

const MAX_NAMED_ISSUES = 10;

function invalid(routeName: string, problem: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `route ${routeName}: ${problem}` });
}

/** The preSerialization hook for `output`, checked when the route is registered. */
export function routeOutputHook(output: RouteOutput, routeName: string): PreSerializationHook {
  const status = output.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 299 || status === 204) {
    throw invalid(routeName, 'output.status must be a 2xx status with a body (not 204)');
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
