export { redactDeep, scrubText, isSensitiveKey, REDACTED } from './redaction.js';
export { redactingLoggerOptions, type RedactingLoggerOptions } from './logger-options.js';
