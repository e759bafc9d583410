import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { PortcullisError } from '../errors/index.js';

/**
 * V3 and V5: JSON is the only body a route takes unless it opts in to multipart/form-data with
 * `config.portcullis.multipart`. The opt-in is per route, never global: the route's own scope
 * registers the multipart parser (e.g. @fastify/multipart, with strict limits), and this module
 * makes the two agree when the route is registered. An opted-in route takes multipart only (415
 * for anything else); any other route in a scope that parses multipart still answers 415 to it;
 * and an opt-in without a parser in its scope stops the server from starting, naming the route.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** What a route declares to take a multipart body. */
export interface MultipartOptIn {
  /** What the body holds (field names, file types, limits), for the route inventory. */
  readonly description: string;
}

export const MULTIPART_MEDIA_TYPE = 'multipart/form-data';

const MULTIPART = /^\s*multipart\/form-data\s*(?:;|$)/i;

function isMultipart(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return type !== undefined && MULTIPART.test(type);
}

const takesMultipartOnly: Hook = (request, _reply, done) => {
  if (isMultipart(request)) done();
  else done(new PortcullisError('request.unsupported_media_type', { detail: `This route takes ${MULTIPART_MEDIA_TYPE} only.` }));
};

const refusesMultipart: Hook = (request, _reply, done) => {
  if (isMultipart(request)) done(new PortcullisError('request.unsupported_media_type'));
  else done();
};

/**
 * The onRequest hook a route needs for its media types, or undefined when the JSON-only parser
 * set already decides (no multipart parser in its scope, no opt-in). Throws `config.invalid` when
 * the route opts in without a multipart parser in its scope, or declares the opt-in badly.
 *
 * @example
 * const hook = multipartGuard(scope.hasContentTypeParser('multipart/form-data'), route.config?.portcullis?.multipart, 'POST /v1/files');
 */
export function multipartGuard(scopeParsesMultipart: boolean, optIn: MultipartOptIn | undefined, routeName: string): Hook | undefined {
  if (optIn === undefined) return scopeParsesMultipart ? refusesMultipart : undefined;
  if (typeof optIn.description !== 'string' || optIn.description.trim() === '') {
    throw new PortcullisError('config.invalid', { detail: `route ${routeName}: multipart.description must say what the body holds` });
  }
  if (!scopeParsesMultipart) {
    throw new PortcullisError('config.invalid', { detail: `route ${routeName} opts in to multipart, but no multipart parser is registered in its scope` });
  }
  return takesMultipartOnly;
}
