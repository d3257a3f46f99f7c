import { Router } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { handle } from '../errors';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import { idempotencyKey } from '../idempotency';
import { answersSummary, markSummaryDeprecated } from '../instance-shape';
import { instanceParam, param } from '../params';
import { CancelBody, CompleteTaskBody, InstanceListQuery, MoveBody, ReactivateBody, StartBody } from '../schemas/instances';
import type { InstanceUseCases } from '../use-cases/instances';

/** Instance ids contain ':' (pipeline:<key>:<type>:<id>); clients URL-encode them or not, express decodes either. */
export function instanceRoutes(_deps: AppDeps, instances: InstanceUseCases): Router {
  const router = Router();

  router.post('/v1/instances', handle(async (req, res) => {
    const body = StartBody.parse(req.body);
    const started = await instances.start(actorOf(req), body, idempotencyKey(req.get('idempotency-key')));
    res.status(201).location(`/v1/instances/${started.id}`).json(started);
  }));

  router.get('/v1/instances', handle(async (req, res) => {
    const query = InstanceListQuery.parse(req.query);
    const page = await instances.list(actorOf(req), query);
    if (answersSummary(query.shape)) markSummaryDeprecated(res, 'listInstances');
    sendPage<object>(req, res, page);
  }));

  router.get('/v1/instances/:id', handle(async (req, res) => {
    res.json(await instances.get(actorOf(req), instanceParam(req)));
  }));

  router.get('/v1/instances/:id/events', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    const { items } = await instances.events(actorOf(req), instanceParam(req));
    sendPage(req, res, pageOfList(items, (e) => `${e.at}|${e.eventId}`, page, { instance: instanceParam(req) }));
  }));

  router.post('/v1/instances/:id/moves', handle(async (req, res) => {
    const body = MoveBody.parse(req.body);
    res.json(await instances.move(actorOf(req), instanceParam(req), body, idempotencyKey(req.get('idempotency-key'))));
  }));

  router.post('/v1/instances/:id/tasks/:taskId/complete', handle(async (req, res) => {
    const body = CompleteTaskBody.parse(req.body ?? {});
    const key = idempotencyKey(req.get('idempotency-key'));
    res.json(await instances.completeTask(actorOf(req), instanceParam(req), param(req, 'taskId'), body, key));
  }));

  router.post('/v1/instances/:id/reactivate', handle(async (req, res) => {
    const body = ReactivateBody.parse(req.body ?? {});
    res.json(await instances.reactivate(actorOf(req), instanceParam(req), body, idempotencyKey(req.get('idempotency-key'))));
  }));

  router.post('/v1/instances/:id/cancel', handle(async (req, res) => {
    const body = CancelBody.parse(req.body);
    res.json(await instances.cancel(actorOf(req), instanceParam(req), body.reason));
  }));

  return router;
}
