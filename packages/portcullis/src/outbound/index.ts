// The outbound checkpoint: SSRF-safe requests (V7), validated third-party answers (V8), webhook signatures.
export { forbiddenReason, createAddressPolicy, type AddressPolicy, type AddressPolicyOptions, type ForbiddenReason } from './forbidden-addresses.js';
export { checkOutboundUrl, DEFAULT_ALLOWED_PORTS, type OutboundTarget, type OutboundUrlRules } from './outbound-target.js';
export { guardedLookup, systemResolver, type HostResolver, type LookupObserver, type ResolvedAddress } from './guarded-lookup.js';
export { isSsrfRefusal, SSRF_REFUSAL_CODES } from './outbound-errors.js';
export {
  createOutboundClient,
  type OutboundClient,
  type OutboundClientOptions,
  type OutboundRefusal,
  type OutboundRequest,
  type OutboundResponse,
} from './outbound-client.js';
export { fetchValidatedJson, type FetchValidatedJsonOptions } from './fetch-validated-json.js';
export {
  assertWebhookSecret,
  signWebhookPayload,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  type VerifyWebhookSignatureInput,
  type WebhookSignatureCheck,
} from './webhook-signature.js';
