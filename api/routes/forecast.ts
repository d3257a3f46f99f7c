import { Router } from 'express';
import type { AppDeps } from '../app';
import { actorOf } from '../actor';
import { handle } from '../errors';
import { param } from '../params';
import { AnalyticsQuery, ForecastQuery } from '../schemas/instances';
import { analyticsUseCase } from '../use-cases/analytics';
import { forecastUseCase } from '../use-cases/forecast';

/** What the owning company reads about its pipelines: the forecast and each pipeline's funnel. */
export function forecastRoutes(deps: AppDeps): Router {
  const router = Router();
  const forecast = forecastUseCase(deps);
  const analytics = analyticsUseCase(deps);
  router.get('/v1/forecast', handle(async (req, res) => {
    res.json(await forecast(actorOf(req), ForecastQuery.parse(req.query)));
  }));
  router.get('/v1/pipelines/:key/analytics', handle(async (req, res) => {
    res.json(await analytics(actorOf(req), param(req, 'key'), AnalyticsQuery.parse(req.query)));
  }));
  return router;
}
