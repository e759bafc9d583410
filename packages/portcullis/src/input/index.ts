export { isForbiddenKey, isForbiddenQueryKey, containsForbiddenKey, type KeyRules } from './forbidden-keys.js';
export { exceedsJsonDepth } from './json-depth.js';
export { parseJsonBody, assertSafeQueryKeys, DEFAULT_JSON_DEPTH, type JsonBodyRules } from './json-body.js';
export { validateInput, MAX_FIELD_ERRORS, type ParseSchema } from './validate-schema.js';
