export { portcullisPlugin } from './plugin.js';
export { portcullisServerOptions, STRONG_TLS_CIPHERS } from './server-options.js';
export { DEFAULT_LIMITS, type PortcullisFastifyOptions, type PortcullisRouteConfig } from './options.js';
export { SAFE_REQUEST_ID, REQUEST_ID_HEADER, newRequestId } from './request-id.js';
export { fromFrameworkError } from './framework-errors.js';
export { createRateLimitHook, type RouteRateLimit, type RateLimitKey, type RateLimitHookPlacement } from './rate-limit-hooks.js';
export { createApiKeyAuthenticateHook, type ApiKeyAuthenticateOptions } from './api-key-authenticate.js';
export { createSignedRequestHook, type SignedRequestHookOptions } from './signed-request.js';
export { createAuthenticateHook, type AccessPrincipal, type AuthenticateOptions } from './authenticate.js';
