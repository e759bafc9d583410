export {
  buildSecurityHeaders,
  HSTS_TWO_YEARS,
  FINGERPRINT_HEADERS,
  type SecurityHeaderOptions,
  type SecurityHeaders,
} from './security-headers.js';
export { PresetHeaderResponse, presetHeaderBlock, PRESET_HEADERS_SUPPORTED, type PresetHeaderBlock } from './preset-header-response.js';
export {
  versionLifecycle,
  isVersionGone,
  formatStructuredDate,
  formatHttpDate,
  type ApiVersionSpec,
  type ApiVersionStatus,
  type VersionLifecycle,
} from './deprecation-headers.js';
