import { Router } from 'express';
import type { AppDeps } from '../app';
import { actorOf, requireAdmin } from '../actor';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { WebhookBody } from '../schemas/webhooks';

/** Webhook endpoints, per company; admins only. The signing secret is shown once, when one is created. */
export function webhookRoutes({ stores }: AppDeps): Router {
  const { webhooks, people } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  router.post('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const body = WebhookBody.parse(req.body);
    if (!(await people.getCompany(body.companyId))) {
      throw new AppError(422, 'unknown_company', `company ${body.companyId} does not exist`);
    }
    res.status(201).json(await webhooks.create({ ...body, createdBy: actor.userId }, now()));
  }));

  router.get('/v1/webhooks', handle(async (req, res) => {
    requireAdmin(actorOf(req));
    res.json({ items: await webhooks.list() });
  }));

  router.get('/v1/webhooks/:id', handle(async (req, res) => {
    requireAdmin(actorOf(req));
    const webhook = await webhooks.get(param(req, 'id'));
    if (!webhook) throw notFound('webhook');
    res.json(webhook);
  }));

  /** Deliveries not yet sent are skipped; those already on their way may still arrive once. */
  router.post('/v1/webhooks/:id/disable', handle(async (req, res) => {
    requireAdmin(actorOf(req));
    const id = param(req, 'id');
    if (!(await webhooks.get(id))) throw notFound('webhook');
    await webhooks.disable(id, now());
    res.json(await webhooks.get(id));
  }));

  return router;
}
