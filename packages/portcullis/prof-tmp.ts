import { randomBytes } from 'node:crypto';
import { createAccessTokenKeys, signAccessToken, createAccessTokenVerifier } from './src/auth/tokens/index.ts';
const secret = randomBytes(32);
const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: secret } });
const { token } = signAccessToken(keys, { sub: 'u1', role: 'member' }, { issuer: 'https://api.example.com', audience: 'https://api.example.com', ttlSeconds: 86400 });
const ours = createAccessTokenVerifier({ keys, issuer: 'https://api.example.com', audience: 'https://api.example.com' });
for (let i = 0; i < 600000; i++) ours.verify(token);
