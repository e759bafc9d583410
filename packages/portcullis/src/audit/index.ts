export { redactDeep, scrubText, isSensitiveKey, REDACTED } from './redaction.js';
export { redactingLoggerOptions, type RedactingLoggerOptions } from './logger-options.js';
export {
  securityEventCatalogue,
  SECURITY_EVENT_NAMES,
  isSecurityEventName,
  type SecurityEventName,
  type SecurityEventSpec,
  type SecurityOutcome,
} from './security-event-catalogue.js';
export {
  buildSecurityEvent,
  cleanSecurityFields,
  userPrincipal,
  apiKeyPrincipal,
  type SecurityEvent,
  type SecurityEventContext,
  type SecurityEventFields,
  type SecurityFieldValue,
} from './security-event.js';
export { AuditWriteQueue, type AuditWriteQueueOptions } from './audit-write-queue.js';
export {
  AUDIT_GENESIS_MAC,
  auditFieldsText,
  canonicalJson,
  deriveAuditChainKey,
  sealAuditBatch,
  verifyAuditChain,
  type AuditChainHead,
  type AuditChainProblem,
  type AuditChainVerdict,
  type AuditRecord,
  type AuditVerifyOptions,
} from './audit-chain.js';
export { ThresholdWindow, type ThresholdCrossing, type ThresholdWindowOptions } from './threshold-window.js';
export { AlertEngine, DEFAULT_ALERT_RULES, LOGIN_RATE_LIMIT_POLICIES, alertAddressGroup, type AlertEngineOptions, type AlertGrouping, type AlertRule, type AlertSink, type SecurityAlert } from './alert-engine.js';
export { logAlertSink, webhookAlertSink, alertWebhookBody, type AlertLogger, type WebhookAlertSinkOptions } from './alert-sinks.js';
export {
  SecurityEventBus,
  type AuditTrailStore,
  type EmitOptions,
  type SecurityEventBusOptions,
  type SecurityEventListener,
  type SecurityEventLogger,
} from './security-event-bus.js';
export { RepeatGate } from './repeat-gate.js';
export { PortcullisMetrics, UNMATCHED_ROUTE, DEFAULT_LATENCY_BUCKETS, type PortcullisMetricsOptions, type RouteRecorder, type WatchedStore } from './metrics.js';
