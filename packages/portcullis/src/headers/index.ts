export {
  buildSecurityHeaders,
  HSTS_TWO_YEARS,
  FINGERPRINT_HEADERS,
  type SecurityHeaderOptions,
  type SecurityHeaders,
} from './security-headers.js';
