/**
 * L1: Fastify writes path parameters as `:id` (optionally with a regular expression, `:id(^\d+)`)
 * and a trailing wildcard as `*`; OpenAPI writes templates as `{id}`. The conversion keeps the
 * parameter names, since the document's parameters must name exactly the template's.
 */

export interface OpenApiPath {
  /** The OpenAPI path template, e.g. `/v1/posts/{id}`. */
  readonly path: string;
  /** The parameter names in order of appearance (`*` becomes `wildcard`). */
  readonly parameters: readonly string[];
}

const PARAMETER = /:([A-Za-z_$][\w$]*)(?:\((?:\\.|[^\\)])*\))?/g;
const ESCAPED_COLON = '\u0000';

/**
 * @example
 * toOpenApiPath('/v1/posts/:id'); // { path: '/v1/posts/{id}', parameters: ['id'] }
 */
export function toOpenApiPath(fastifyPath: string): OpenApiPath {
  const parameters: string[] = [];
  // `::` is Fastify's escape for a literal colon.
  let path = fastifyPath.replaceAll('::', ESCAPED_COLON).replace(PARAMETER, (_match, name: string) => {
    parameters.push(name);
    return `{${name}}`;
  });
  if (path.endsWith('*')) {
    parameters.push('wildcard');
    path = `${path.slice(0, -1)}{wildcard}`;
  }
  return { path: path.replaceAll(ESCAPED_COLON, ':') || '/', parameters };
}
