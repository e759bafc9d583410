import type { FastifyInstance } from 'fastify';
import { policy } from 'portcullis/authz';
import { sends } from './common-schemas.js';
import { v1IndexView } from './service-schemas.js';

/** `GET /v1`: what this API is, for humans and probes; later issues register their routes beside it. */
export function registerV1Index(app: FastifyInstance): void {
  app.get('/', { config: { portcullis: { policy: policy.public(), output: sends(v1IndexView) } } }, async () => ({ name: 'portcullis-reference-api', version: 'v1' }));
}
