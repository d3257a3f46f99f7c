import { Router } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import type { Actor } from '../../workflows/domain/types';
import { managesWebhooks, managesWebhooksOf } from '../tenancy';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { WebhookBody } from '../schemas/webhooks';

/**
 * Webhook endpoints, per company: an owner company's by its Company Admins, a
 * partner company's by its partner admins (others' are 404). The signing
 * secret is shown once, when one is created.
 */
export function webhookRoutes({ stores }: AppDeps): Router {
  const { webhooks, people } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  const requireWebhookRole = (actor: Actor) => {
    if (!managesWebhooks(actor)) throw new AppError(403, 'forbidden', 'this route is for admins');
  };

  /** Whether the caller runs its own company's webhooks; only its own company is ever looked up. */
  const runsOwnWebhooks = async (actor: Actor): Promise<boolean> => {
    const company = await people.getCompany(actor.companyId ?? '');
    return company !== undefined && managesWebhooksOf(actor, company);
  };

  router.post('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireWebhookRole(actor);
    const body = WebhookBody.parse(req.body);
    // Its own company only, which exists: the caller belongs to it.
    if (body.companyId !== actor.companyId || !(await runsOwnWebhooks(actor))) {
      throw new AppError(403, 'forbidden', 'an admin creates webhooks for its own company only');
    }
    res.status(201).json(await webhooks.create({ ...body, createdBy: actor.userId }, now()));
  }));

  /** A webhook of the caller's company; 404 for every other. */
  const own = async (actor: Actor, id: string) => {
    requireWebhookRole(actor);
    const webhook = await webhooks.get(id);
    if (!webhook || webhook.companyId !== actor.companyId || !(await runsOwnWebhooks(actor))) throw notFound('webhook');
    return webhook;
  };

  router.get('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireWebhookRole(actor);
    const mine = await runsOwnWebhooks(actor);
    res.json({ items: mine ? (await webhooks.list()).filter((hook) => hook.companyId === actor.companyId) : [] });
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
