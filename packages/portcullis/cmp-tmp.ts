import { randomBytes, createHmac, timingSafeEqual } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { createAccessTokenKeys, signAccessToken, createAccessTokenVerifier } from './src/auth/tokens/index.ts';
const secret = randomBytes(32);
const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: secret } });
const { token } = signAccessToken(keys, { sub: 'u1', role: 'member' }, { issuer: 'https://api.example.com', audience: 'https://api.example.com', ttlSeconds: 86400 });
const ours = createAccessTokenVerifier({ keys, issuer: 'https://api.example.com', audience: 'https://api.example.com' });
const fj = createVerifier({ key: secret, algorithms: ['HS256'], allowedIss: 'https://api.example.com', allowedAud: 'https://api.example.com', cache: false });
const dot = token.lastIndexOf('.');
const raw = () => { const m = createHmac('sha256', secret).update(token.slice(0, dot)).digest(); return timingSafeEqual(m, Buffer.from(token.slice(dot + 1), 'base64url')); };
const cands: [string, () => unknown][] = [['ours', () => ours.verify(token)], ['fast-jwt', () => fj(token)], ['raw', raw]];
for (let r = 0; r < 3; r++) for (const [name, fn] of cands) {
  for (let i = 0; i < 20000; i++) fn();
  const c0 = process.cpuUsage(); const t = performance.now(); const n = 200000; for (let i = 0; i < n; i++) fn();
  const wall = performance.now() - t; const c = process.cpuUsage(c0); const cpu = (c.user + c.system) / 1000;
  console.log(name.padEnd(10), Math.round(n / wall * 1000), 'per s;', Math.round(n / cpu * 1000), 'per cpu-s');
}
