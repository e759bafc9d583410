export {
  buildOpenApiDocument,
  SECURITY_SCHEMES,
  type OpenApiCredential,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
  type OpenApiRateLimit,
  type OpenApiRoute,
} from './build-document.js';
export { inputJsonSchema, type JsonSchema } from './input-json-schema.js';
export { toOpenApiPath, type OpenApiPath } from './path-template.js';
export { PROBLEM_SCHEMA, FIELD_ERROR_SCHEMA } from './problem-components.js';
