/**
 * L1: an OpenAPI 3.1 document built from what the routes declare, so it cannot drift from what
 * the server enforces: inputs from the schemas the input checkpoint validates, security from the
 * route policy and the authentication hooks the route runs, rate limits from the policies on it
 * (as `x-ratelimit-policies`, since OpenAPI has no field for them), and RFC 9457 problem+json for
 * the refusals. Framework-free: adapters turn their route table into `OpenApiRoute`s.
 */
import type { RoutePolicy } from '../authz/index.js';
import { describePolicy } from '../authz/index.js';
import { PortcullisError } from '../errors/index.js';
import { inputJsonSchema, outputJsonSchema, type JsonSchema } from './input-json-schema.js';
import { toOpenApiPath } from './path-template.js';
import { ERROR_RESPONSES, errorResponseComponents, FIELD_ERROR_SCHEMA, PROBLEM_SCHEMA, type ErrorResponseName } from './problem-components.js';

export type OpenApiCredential = 'bearer' | 'apiKey' | 'signature';

/** A rate-limit policy as the document shows it. */
export interface OpenApiRateLimit {
  readonly name: string;
  /** Quota units per window. */
  readonly limit: number;
  readonly windowMs: number;
  readonly algorithm?: string;
}

/** One route, as an adapter describes it. */
export interface OpenApiRoute {
  readonly method: string;
  /** Fastify-style (`/v1/posts/:id`) or already templated (`/v1/posts/{id}`). */
  readonly path: string;
  /** Who may call it; undefined documents the route as public. */
  readonly policy?: RoutePolicy | undefined;
  /** The schemas the route validates (zod 4 or Standard JSON Schema). */
  readonly input?: { readonly body?: unknown; readonly query?: unknown; readonly params?: unknown; readonly headers?: unknown } | undefined;
  /** The success body the route sends, and its status (default 200). */
  readonly output?: { readonly status?: number; readonly body?: unknown } | undefined;
  /** Credentials its authentication hooks take; default: a bearer token on non-public routes. */
  readonly credentials?: readonly OpenApiCredential[];
  readonly rateLimits?: readonly OpenApiRateLimit[];
  readonly deprecated?: boolean;
  /** The date this route's API version answers 410 from, when one is set. */
  readonly sunset?: Date;
  /** A route that takes multipart/form-data instead of JSON: what its body holds. */
  readonly multipart?: string | undefined;
}

export interface OpenApiDocumentOptions {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** Base URLs the API is served from; default: relative to where the document was fetched. */
  readonly servers?: readonly string[];
}

export type OpenApiDocument = Record<string, unknown> & { readonly openapi: string; readonly paths: Record<string, Record<string, unknown>> };

const OPENAPI_VERSION = '3.1.1';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const OPERATION_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);
// OpenAPI ignores these as header parameters: they are described elsewhere in the document.
const RESERVED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

export const SECURITY_SCHEMES = Object.freeze({
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A short-lived access token from the login or refresh endpoint: `Authorization: Bearer <token>`.',
  },
  apiKeyAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key (`pk_...`), limited to its scopes; also accepted as `Authorization: Bearer pk_...`.',
  },
});

const SIGNED_REQUESTS = Object.freeze({
  header: 'Portcullis-Signature',
  appliesTo: 'apiKeyAuth',
  description:
    'Operations marked `x-signature-required` refuse a request authenticated by an API key unless it carries a valid ' +
    '`Portcullis-Signature`: an HMAC-SHA256, under the key\'s signing secret, over the timestamp, a single-use nonce, the ' +
    'method, the exact path and query, and the body\'s SHA-256. It is a property of the request, not a credential of its own.',
});

interface ObjectShape {
  readonly properties: Record<string, JsonSchema>;
  readonly required: ReadonlySet<string>;
}

function objectShape(schema: JsonSchema | undefined): ObjectShape | undefined {
  if (schema === undefined || schema['type'] !== 'object') return undefined;
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
  return { properties, required };
}

function operationIdOf(method: string, path: string, taken: Set<string>): string {
  const base = `${method.toLowerCase()}${path.replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0]!.toUpperCase() + part.slice(1)).join('')}`;
  let id = base;
  for (let suffix = 2; taken.has(id); suffix += 1) id = `${base}${suffix}`;
  taken.add(id);
  return id;
}

function securityOf(route: OpenApiRoute): { security: Record<string, string[]>[]; scopes: string[] } {
  const access = route.policy?.access;
  if (access === undefined || access.kind === 'public') return { security: [], scopes: [] };
  const scopes = access.kind === 'permissions' ? [...access.permissions] : access.kind === 'roles' ? [...access.roles] : [];
  const credentials = route.credentials === undefined || !route.credentials.some((kind) => kind !== 'signature') ? ['bearer'] : route.credentials;
  const security: Record<string, string[]>[] = [];
  if (credentials.includes('bearer')) security.push({ bearerAuth: scopes });
  // Roles are for people: an API key never passes a role policy, so it is not offered there.
  if (credentials.includes('apiKey') && access.kind !== 'roles') security.push({ apiKeyAuth: scopes });
  return { security, scopes };
}

function parametersOf(route: OpenApiRoute, pathParameters: readonly string[], idBase: string): Record<string, unknown>[] {
  const parameters: Record<string, unknown>[] = [];
  const params = objectShape(inputJsonSchema(route.input?.params, `${idBase}:params`));
  for (const name of pathParameters) {
    parameters.push({ name, in: 'path', required: true, schema: params?.properties[name] ?? { type: 'string' } });
  }
  const query = objectShape(inputJsonSchema(route.input?.query, `${idBase}:query`));
  for (const [name, schema] of Object.entries(query?.properties ?? {})) {
    const isList = schema['type'] === 'array';
    parameters.push({ name, in: 'query', required: query?.required.has(name) ?? false, schema, ...(isList ? { style: 'form', explode: true } : {}) });
  }
  const headers = objectShape(inputJsonSchema(route.input?.headers, `${idBase}:headers`));
  for (const [name, schema] of Object.entries(headers?.properties ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) continue;
    parameters.push({ name, in: 'header', required: headers?.required.has(name) ?? false, schema });
  }
  return parameters;
}

function errorResponses(route: OpenApiRoute, hasPathParameters: boolean, takesBody: boolean): Partial<Record<string, { $ref: string }>> {
  const names: ErrorResponseName[] = ['BadRequest'];
  const access = route.policy?.access;
  if (access !== undefined && access.kind !== 'public') names.push('Unauthorized', 'Forbidden');
  if (hasPathParameters) names.push('NotFound');
  if (route.sunset !== undefined) names.push('Gone');
  if ((route.rateLimits?.length ?? 0) > 0) names.push('TooManyRequests');
  if (takesBody) names.push('PayloadTooLarge', 'UnsupportedMediaType');
  // Load shedding and shutdown answer 503 on every route but the health probes.
  names.push('ServiceUnavailable');
  return Object.fromEntries(names.map((name) => [ERROR_RESPONSES[name].status, { $ref: `#/components/responses/${name}` }]));
}

/**
 * The declared success body under its status, a 204 without content, or a bare 2XX for a route
 * that declares neither. A HEAD operation (Fastify adds one for each GET, with the GET's config)
 * answers the GET's status without its body, so it documents no content.
 */
function successResponse(route: OpenApiRoute, method: string, idBase: string): Record<string, unknown> {
  const output = route.output;
  if (output === undefined) return { '2XX': { description: 'Success.' } };
  if (output.body === undefined) return { [String(output.status ?? 204)]: { description: 'Success, no content.' } };
  if (method === 'HEAD') return { [String(output.status ?? 200)]: { description: 'Success: the headers of the GET answer, without its body.' } };
  const schema = outputJsonSchema(output.body, `${idBase}:output`) ?? {};
  return { [String(output.status ?? 200)]: { description: 'Success.', content: { 'application/json': { schema } } } };
}

function operationOf(route: OpenApiRoute, method: string, templated: ReturnType<typeof toOpenApiPath>, operationId: string): Record<string, unknown> {
  const idBase = `urn:portcullis:openapi:${operationId}`;
  const { security, scopes } = securityOf(route);
  const access = route.policy?.access;
  const parameters = parametersOf(route, templated.parameters, idBase);
  const body = BODY_METHODS.has(method) && route.input?.body !== undefined ? (inputJsonSchema(route.input.body, `${idBase}:body`) ?? {}) : undefined;
  const limits = route.rateLimits ?? [];
  return {
    operationId,
    ...(route.policy === undefined ? {} : { description: `Access: ${describePolicy(route.policy)}.` }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.multipart !== undefined && BODY_METHODS.has(method)
      ? { requestBody: { required: true, description: route.multipart, content: { 'multipart/form-data': { schema: { type: 'object' } } } } }
      : body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: body } } } }),
    responses: { ...successResponse(route, method, idBase), ...errorResponses(route, templated.parameters.length > 0, BODY_METHODS.has(method) && (body !== undefined || route.multipart !== undefined)) },
    security,
    ...(route.deprecated === true ? { deprecated: true } : {}),
    ...(access?.kind === 'permissions' ? { 'x-required-permissions': scopes } : {}),
    ...(access?.kind === 'roles' ? { 'x-required-roles': scopes } : {}),
    ...(route.policy?.ownership === undefined ? {} : { 'x-ownership': route.policy.ownership }),
    ...(route.credentials?.includes('signature') === true ? { 'x-signature-required': true } : {}),
    ...(route.sunset === undefined ? {} : { 'x-sunset': route.sunset.toISOString() }),
    ...(limits.length === 0
      ? {}
      : {
          'x-ratelimit-policies': limits.map((limit) => ({
            name: limit.name,
            quota: limit.limit,
            windowSeconds: Math.max(1, Math.ceil(limit.windowMs / 1000)),
            ...(limit.algorithm === undefined ? {} : { algorithm: limit.algorithm }),
          })),
        }),
  };
}

/**
 * Builds the document. Throws `config.invalid` for a route the document cannot hold (a method
 * OpenAPI has no operation for, or the same method and path twice).
 *
 * @example
 * const document = buildOpenApiDocument(routes, { title: 'Example API', version: '1.0.0' });
 */
export function buildOpenApiDocument(routes: readonly OpenApiRoute[], options: OpenApiDocumentOptions): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  const ordered = [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const route of ordered) {
    const method = route.method.toUpperCase();
    if (!OPERATION_METHODS.has(method)) throw new PortcullisError('config.invalid', { detail: `openapi: ${route.method} ${route.path} has no OpenAPI operation` });
    const templated = toOpenApiPath(route.path);
    const item = (paths[templated.path] ??= {});
    const key = method.toLowerCase();
    if (item[key] !== undefined) throw new PortcullisError('config.invalid', { detail: `openapi: ${method} ${templated.path} is declared twice` });
    item[key] = operationOf(route, method, templated, operationIdOf(method, templated.path, operationIds));
  }
  return {
    openapi: OPENAPI_VERSION,
    info: { title: options.title, version: options.version, ...(options.description === undefined ? {} : { description: options.description }) },
    ...(options.servers === undefined ? {} : { servers: options.servers.map((url) => ({ url })) }),
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA, FieldError: FIELD_ERROR_SCHEMA },
      responses: errorResponseComponents(),
      securitySchemes: SECURITY_SCHEMES,
    },
    'x-signed-requests': SIGNED_REQUESTS,
  };
}
