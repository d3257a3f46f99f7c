import { Router } from 'express';
import type { AppDeps } from '../app';
import { actorOf } from '../actor';
import { handle } from '../errors';
import { ForecastQuery } from '../schemas/instances';
import { forecastUseCase } from '../use-cases/forecast';

export function forecastRoutes(deps: AppDeps): Router {
  const router = Router();
  const forecast = forecastUseCase(deps);
  router.get('/v1/forecast', handle(async (req, res) => {
    res.json(await forecast(actorOf(req), ForecastQuery.parse(req.query)));
  }));
  return router;
}
