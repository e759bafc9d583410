import type { FastifyInstance } from 'fastify';
import { policy } from 'portcullis/authz';

/** `GET /v1`: what this API is, for humans and probes; later issues register their routes beside it. */
export function registerV1Index(app: FastifyInstance): void {
  app.get('/', { config: { portcullis: { policy: policy.public() } } }, async () => ({ name: 'portcullis-reference-api', version: 'v1' }));
}
