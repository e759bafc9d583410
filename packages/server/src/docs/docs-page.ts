import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { policy } from 'portcullis/authz';
import { z } from 'zod';

/**
 * L1: the documentation page at /docs, Swagger UI rendering /openapi.json, served entirely from
 * this server: the page and its start-up script are ours, the viewer is swagger-ui-dist from
 * node_modules. Nothing is fetched from a CDN, and no script or style is inline, so the page's
 * CSP allows only this origin (plus `data:` images, which Swagger UI's stylesheet embeds). That
 * CSP replaces the API's `default-src 'none'` on these routes only.
 */

export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// Relative URLs, so the page still works when the API is mounted under a path by a proxy.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portcullis reference API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="docs"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/docs-init.js"></script>
</body>
</html>
`;

// No validator badge (it would call validator.swagger.io) and no "try it out" by default.
const INIT_SCRIPT = `'use strict';
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('openapi.json', document.baseURI).href,
    dom_id: '#docs',
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

interface DocsAsset {
  readonly contentType: string;
  load(): Promise<Buffer>;
}

function fromSwaggerUi(file: string, contentType: string): DocsAsset {
  let loaded: Promise<Buffer> | undefined;
  return {
    contentType,
    // Read on first use, then kept: most servers never serve the page, and the bundle is ~1.7 MB.
    load() {
      loaded ??= readFile(join(swaggerUiDirectory(), file)).catch((error: unknown) => {
        loaded = undefined;
        throw error;
      });
      return loaded;
    },
  };
}

let swaggerUiDir: string | undefined;
function swaggerUiDirectory(): string {
  swaggerUiDir ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return swaggerUiDir;
}

function fixed(text: string, contentType: string): DocsAsset {
  const body = Buffer.from(text, 'utf8');
  return { contentType, load: () => Promise.resolve(body) };
}

/** Every asset the page loads, by path under /docs/. */
export const DOCS_ASSETS: Readonly<Record<string, DocsAsset>> = Object.freeze({
  'swagger-ui.css': fromSwaggerUi('swagger-ui.css', 'text/css; charset=utf-8'),
  'swagger-ui-bundle.js': fromSwaggerUi('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
  'favicon-32x32.png': fromSwaggerUi('favicon-32x32.png', 'image/png'),
  'docs-init.js': fixed(INIT_SCRIPT, 'text/javascript; charset=utf-8'),
});

const noQuery = z.strictObject({});
const PUBLIC_PAGE: RouteShorthandOptions = { config: { portcullis: { policy: policy.public(), input: { query: noQuery } } } };

/** `GET /docs` and `GET /docs/<asset>`: public, like the document they render. */
export function registerDocsPage(app: FastifyInstance): void {
  const page = Buffer.from(PAGE, 'utf8');
  app.get('/docs', PUBLIC_PAGE, async (_request, reply) => {
    reply.header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY).type('text/html; charset=utf-8');
    return page;
  });
  for (const [name, asset] of Object.entries(DOCS_ASSETS)) {
    app.get(`/docs/${name}`, PUBLIC_PAGE, async (_request, reply) => {
      const body = await asset.load();
      // The assets change only with the swagger-ui-dist version the server ships.
      reply.header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY).header('cache-control', 'public, max-age=3600').type(asset.contentType);
      return body;
    });
  }
}
