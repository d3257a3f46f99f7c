import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';

/**
 * Where `npm run console:build` writes the console (vite, console/vite.config.mts): beside the
 * sources when run from them (api/), and under dist/console/dist in the image (dist/api/).
 */
export const CONSOLE_DIST = path.resolve(__dirname, '..', 'console', 'dist');

/**
 * Every console answer: no inline script or style, no eval, nothing from elsewhere, never framed.
 * Records hold text other companies typed, and the page renders it as text; this is the net under that.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Hashed file names change with their content: cache them for a year. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * The console, public like /docs: its files load without a key (the key is typed into the page
 * and sent only to /v1). /console/assets/* are the hashed files; any other /console path is the
 * single page (its router reads the path), never cached so a new build is picked up at once.
 */
export function consoleRoutes(dist = CONSOLE_DIST): Router {
  const router = Router();
  const index = path.join(dist, 'index.html');
  router.use('/console', (_req, res, next) => {
    res.set(HEADERS);
    next();
  });
  router.use(
    '/console/assets',
    express.static(path.join(dist, 'assets'), {
      index: false,
      dotfiles: 'deny',
      setHeaders: (res) => res.set('Cache-Control', ASSET_CACHE),
    }),
  );
  // Not the page: a missing script answered with HTML would only confuse the browser.
  router.use('/console/assets', (_req, res) => {
    res.status(404).type('text/plain').set('Cache-Control', 'no-store').send('No such file.\n');
  });
  const page = (req: express.Request, res: Response, next: express.NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    if (!fs.existsSync(index)) {
      res.status(503).type('text/plain').set('Cache-Control', 'no-store').send('The console is not built: run `npm run console:build`.\n');
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  };
  // A middleware, not a route: the console is a client of the API, not an operation of its OpenAPI document.
  router.use('/console', page);
  return router;
}
