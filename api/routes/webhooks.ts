import { Router } from 'express';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import type { Actor } from '../../workflows/domain/types';
import { ALLOW_HINT, checkUrl, STRICT_EGRESS } from '../../lib/egress';
import { ifMatch, sendVersioned, written } from '../conditional';
import { managesWebhooks, managesWebhooksOf } from '../tenancy';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { WebhookBody, WebhookPatch } from '../schemas/webhooks';

/**
 * Webhook endpoints, per company: an owner company's by its Company Admins, a
 * partner company's by its partner admins (others' are 404). The signing
 * secret is shown once, when one is created. A URL that names an internal
 * address is refused (422 forbidden_url); a name is checked again when each
 * delivery resolves it (activities/webhook-send.ts).
 */
export function webhookRoutes({ stores, webhookEgress = STRICT_EGRESS }: AppDeps): Router {
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

  const refuseInternalUrl = (url: string) => {
    const check = checkUrl(webhookEgress, new URL(url));
    if (!check.ok) throw new AppError(422, 'forbidden_url', `the webhook URL is refused: ${check.reason}; ${ALLOW_HINT}`, { url, reason: check.reason });
  };

  router.post('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireWebhookRole(actor);
    const body = WebhookBody.parse(req.body);
    // Its own company only, which exists: the caller belongs to it.
    if (body.companyId !== actor.companyId || !(await runsOwnWebhooks(actor))) {
      throw new AppError(403, 'forbidden', 'an admin creates webhooks for its own company only');
    }
    refuseInternalUrl(body.url);
    const created = await webhooks.create({ ...body, createdBy: actor.userId }, now());
    res.location(`/v1/webhooks/${created.id}`);
    sendVersioned(res, created, created, 201);
  }));

  /** The caller's company, when it runs that company's webhooks: the only company whose webhooks it reads or writes. */
  const ownCompany = async (actor: Actor): Promise<string> => {
    requireWebhookRole(actor);
    if (!(await runsOwnWebhooks(actor))) throw notFound('webhook');
    return actor.companyId ?? '';
  };

  router.get('/v1/webhooks', handle(async (req, res) => {
    const actor = actorOf(req);
    requireWebhookRole(actor);
    const page = PageQuery.parse(req.query);
    const hooks = (await runsOwnWebhooks(actor)) ? await webhooks.listFor(actor.companyId ?? '') : [];
    sendPage(req, res, pageOfList(hooks, (w) => w.id, page, {}));
  }));

  router.get('/v1/webhooks/:id', handle(async (req, res) => {
    const actor = actorOf(req);
    const webhook = await webhooks.getFor(await ownCompany(actor), param(req, 'id'));
    if (!webhook) throw notFound('webhook');
    sendVersioned(res, webhook);
  }));

  router.patch('/v1/webhooks/:id', handle(async (req, res) => {
    const actor = actorOf(req);
    const patch = WebhookPatch.parse(req.body);
    const expectedVersion = ifMatch(req);
    const company = await ownCompany(actor);
    if (patch.url !== undefined) refuseInternalUrl(patch.url);
    sendVersioned(res, written(await webhooks.update(company, param(req, 'id'), patch, now(), { expectedVersion }), 'webhook'));
  }));

  /** Deliveries not yet sent are skipped; those already on their way may still arrive once. */
  router.post('/v1/webhooks/:id/disable', handle(async (req, res) => {
    const actor = actorOf(req);
    sendVersioned(res, written(await webhooks.disable(await ownCompany(actor), param(req, 'id'), now()), 'webhook'));
  }));

  return router;
}
