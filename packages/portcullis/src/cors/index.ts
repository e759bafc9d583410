export { createCorsPolicy, type CorsOptions, type CorsPolicy } from './cors-policy.js';
