import { Router } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { handle } from '../errors';
import { ScorecardQuery } from '../schemas/scorecard';
import { scorecardUseCase } from '../use-cases/scorecard';

/** How each partner company of a program does with the leads it is sent. */
export function partnerRoutes(deps: AppDeps): Router {
  const router = Router();
  const scorecard = scorecardUseCase(deps);
  router.get('/v1/partners/scorecard', handle(async (req, res) => {
    const { pipelineKey, window } = ScorecardQuery.parse(req.query);
    res.json(await scorecard(actorOf(req), pipelineKey, window));
  }));
  return router;
}
