export { canonicalAddress, canonicalForwardedHop, addressFamily } from './ip-address.js';
export { createProxyTrust, type ProxyTrust } from './proxy-trust.js';
export { resolveClientAddress, resolveSecure } from './client-address.js';
export { createHttpsPolicy, assertHttps, type HttpsPolicy } from './https-required.js';
