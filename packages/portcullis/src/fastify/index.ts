export { portcullisPlugin } from './plugin.js';
export { portcullisServerOptions, STRONG_TLS_CIPHERS } from './server-options.js';
export { DEFAULT_LIMITS, type PortcullisFastifyOptions, type PortcullisRouteConfig } from './options.js';
export { SAFE_REQUEST_ID, REQUEST_ID_HEADER, newRequestId } from './request-id.js';
export { fromFrameworkError } from './framework-errors.js';
export { createRateLimitHook, type RouteRateLimit, type RateLimitKey } from './rate-limit-hooks.js';
export { createAuthenticateHook, type AccessPrincipal, type AuthenticateOptions } from './authenticate.js';
