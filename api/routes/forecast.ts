import { Router, type Response } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { handle } from '../errors';
import { renderFunnelSvg, type FunnelInput } from '../funnel-svg';
import { param } from '../params';
import { AnalyticsQuery, BoardQuery, ForecastQuery } from '../schemas/instances';
import { boardUseCase } from '../use-cases/board';
import { analyticsUseCase } from '../use-cases/analytics';
import { forecastUseCase } from '../use-cases/forecast';

/**
 * SVG can carry script and links: a browser opening the picture straight from
 * the API must run nothing and fetch nothing, and must not sniff it as HTML.
 */
const SVG_HEADERS = {
  'Content-Type': 'image/svg+xml; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

const sendSvg = (res: Response, funnel: FunnelInput) => res.set(SVG_HEADERS).send(renderFunnelSvg(funnel));

/** What the owning company reads about its pipelines: the forecast and each pipeline's funnel (JSON, or the same as a picture). */
export function forecastRoutes(deps: AppDeps): Router {
  const router = Router();
  const forecast = forecastUseCase(deps);
  const analytics = analyticsUseCase(deps);
  const board = boardUseCase(deps);
  router.get('/v1/forecast', handle(async (req, res) => {
    res.json(await forecast(actorOf(req), ForecastQuery.parse(req.query)));
  }));
  router.get('/v1/pipelines/:key/board', handle(async (req, res) => {
    res.json(await board(actorOf(req), param(req, 'key'), BoardQuery.parse(req.query)));
  }));
  router.get('/v1/pipelines/:key/analytics', handle(async (req, res) => {
    const funnel = await analytics(actorOf(req), param(req, 'key'), AnalyticsQuery.parse(req.query));
    // One URL, two answers: a cache must key on Accept. JSON for `*/*`, no Accept, or one we cannot meet.
    res.vary('Accept');
    if (req.accepts(['application/json', 'image/svg+xml']) === 'image/svg+xml') sendSvg(res, funnel);
    else res.json(funnel);
  }));
  router.get('/v1/pipelines/:key/analytics.svg', handle(async (req, res) => {
    sendSvg(res, await analytics(actorOf(req), param(req, 'key'), AnalyticsQuery.parse(req.query)));
  }));
  return router;
}
