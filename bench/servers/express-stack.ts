/**
 * What a team hand-assembles on Express 5: helmet, cors, express-rate-limit, jsonwebtoken and
 * zod, each at its documented defaults except where the route needs a setting.
 */
import { createServer } from 'node:http';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import jwt from 'jsonwebtoken';
import { ALLOWED_ORIGIN, ORDER_ROUTE, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { invalidOrderReply, orderReply, orderSchema } from '../lib/order.ts';

const secret = readSecret();
const app = express();

app.use(helmet());
app.use(cors({ origin: [ALLOWED_ORIGIN], credentials: true }));
// A limit no run can reach: we measure the limiter's bookkeeping, never a 429. Header settings
// are the ones the express-rate-limit README recommends.
app.use(rateLimit({ windowMs: 60_000, limit: 1e9, standardHeaders: 'draft-8', legacyHeaders: false }));
// Same 1 MiB ceiling as Fastify's default bodyLimit.
app.use(express.json({ limit: '1mb' }));

function requireBearer(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  try {
    // Algorithms pinned so a token cannot choose its own (alg=none, RS/HS confusion).
    jwt.verify(header.slice('Bearer '.length), secret, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
  } catch {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  next();
}

app.post(ORDER_ROUTE, requireBearer, (req: Request, res: Response) => {
  const parsed = orderSchema.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json(invalidOrderReply);
    return;
  }
  res.status(200).json(orderReply(parsed.data));
});

const server = createServer(app);
server.listen(0, LISTEN_HOST, () => announceReady(server));
