import path from 'node:path';
import express, { Router } from 'express';
import { notFound } from '../errors';
import { openApiDocument } from './document';

const ASSETS = '/docs/assets';
/** Only what the page below loads; the package's own index.html points at a demo API elsewhere. */
const ASSET_FILES = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-32x32.png']);
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

// validatorUrl: null, or Swagger UI would send the document to validator.swagger.io.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Propeller API</title>
  <link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${ASSETS}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true });
  </script>
</body>
</html>
`;

/** Public, like /healthz: the OpenAPI document and Swagger UI, served from the swagger-ui-dist package (no CDN). */
export function docsRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.use(ASSETS, (req, _res, next) => next(ASSET_FILES.has(req.path) ? undefined : notFound('file')));
  router.use(ASSETS, express.static(SWAGGER_UI_DIR, { index: false, fallthrough: false }));
  return router;
}
