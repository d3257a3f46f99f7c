import { Router } from 'express';
import type { AppDeps } from '../app';
import { actorOf, requireAdmin } from '../actor';
import type { Actor } from '../../workflows/domain/types';
import { managesWebhooksOf } from '../tenancy';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { WebhookBody } from '../schemas/webhooks';

/** Webhook endpoints, per company; each company's by its own Company Admins (others' are 404). The signing secret is shown once, when one is created. */
export function webhookRoutes({ stores }: AppDeps): Router {
  const { webhooks } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  router.post('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const body = WebhookBody.parse(req.body);
    // Its own company only, which exists: the caller belongs to it.
    if (!managesWebhooksOf(actor, body.companyId)) {
      throw new AppError(403, 'forbidden', 'an admin creates webhooks for its own company only');
    }
    res.status(201).json(await webhooks.create({ ...body, createdBy: actor.userId }, now()));
  }));

  /** A webhook of the caller's company; 404 for every other. */
  const own = async (actor: Actor, id: string) => {
    requireAdmin(actor);
    const webhook = await webhooks.get(id);
    if (!webhook || !managesWebhooksOf(actor, webhook.companyId)) throw notFound('webhook');
    return webhook;
  };

  router.get('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    res.json({ items: (await webhooks.list()).filter((hook) => managesWebhooksOf(actor, hook.companyId)) });
  }));

  router.get('/v1/webhooks/:id', handle(async (req, res) => {
    res.json(await own(actorOf(req), param(req, 'id')));
  }));

  /** Deliveries not yet sent are skipped; those already on their way may still arrive once. */
  router.post('/v1/webhooks/:id/disable', handle(async (req, res) => {
    const { id } = await own(actorOf(req), param(req, 'id'));
    await webhooks.disable(id, now());
    res.json(await webhooks.get(id));
  }));

  return router;
}
