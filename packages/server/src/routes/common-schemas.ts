import type { RoutePolicy } from 'portcullis/authz';
import type { RouteBodyOutput, RouteInput, RouteOutput } from 'portcullis/fastify';
import { z } from 'zod';

/** For routes that take no body: none, or an empty object; anything in it is refused (400), not ignored. */
export const noBody = z.strictObject({}).optional();

/**
 * V1: the headers a handler reads itself. Security events and sessions record the client's agent
 * (cut to 256 characters when stored); an agent longer than any real one is refused, not stored.
 * Every header a route does not declare passes untouched.
 */
export const agentHeaders = z.object({ 'user-agent': z.string().max(1024).optional() });

/** The refresh route also reads its cookie (the CSRF checkpoint checks Origin and the CSRF header itself). */
export const refreshHeaders = agentHeaders.extend({ cookie: z.string().max(8192).optional() });

/** A route's declared success body (V6, L1: config.portcullis.output), sent with `status`. */
export const sends = (body: RouteBodyOutput['body'], status = 200): RouteOutput => ({ status, body });

/** A route that answers 204 declares it: documented as such, and an object it sends anyway is a 500, not undeclared data. */
export const sendsNothing: RouteOutput = { status: 204 };

/** A route's `config`: who may call it, what it takes and, when it answers with a body, what it sends. */
export const routeConfig = (routePolicy: RoutePolicy, input: RouteInput = {}, output?: RouteOutput) => ({
  portcullis: { policy: routePolicy, input, ...(output === undefined ? {} : { output }) },
});
