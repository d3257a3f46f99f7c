import { Router } from 'express';
import { startWebhookDeliveries } from '../../activities/step-starts';
import { keysetAnswer, keysetParams, pageOfList, PageQuery, sendPage } from '../cursor';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import type { Actor } from '../../workflows/domain/types';
import { ALLOW_HINT, checkUrl, STRICT_EGRESS } from '../../lib/egress';
import { ifMatch, sendVersioned, written } from '../conditional';
import { managesWebhooks, managesWebhooksOf } from '../tenancy';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { DeliveryQuery, RedeliverBody, RotateSecretBody, TestEventBody, WebhookBody, WebhookPatch } from '../schemas/webhooks';
import { WEBHOOK_TEST_EVENT, webhookDeliveryId, type WebhookDelivery } from '../../workflows/domain/webhooks';
import { newId } from '../../activities/store';

/**
 * Webhook endpoints, per company: an owner company's by its Company Admins, a
 * partner company's by its partner admins (others' are 404). The signing
 * secret is shown once, when one is created. A URL that names an internal
 * address is refused (422 forbidden_url); a name is checked again when each
 * delivery resolves it (activities/webhook-send.ts).
 */
export function webhookRoutes({ stores, temporal, taskQueue, webhookEgress = STRICT_EGRESS }: AppDeps): Router {
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

  /** One delivery, in the workflow every delivery runs in; a second start under the same id starts nothing. */
  const sendOnSchedule = (workflowId: string, deliveryId: string) =>
    startWebhookDeliveries(temporal, taskQueue, workflowId, { eventId: deliveryId, deliveries: [deliveryId] });

  /** A webhook of the caller's own company, or 404. */
  const ownWebhook = async (actor: Actor, id: string) => {
    const webhook = await webhooks.getFor(await ownCompany(actor), id);
    if (!webhook) throw notFound('webhook');
    return webhook;
  };

  /** Its deliveries, newest first, each with every try it had. */
  router.get('/v1/webhooks/:id/deliveries', handle(async (req, res) => {
    const actor = actorOf(req);
    const query = DeliveryQuery.parse(req.query);
    const webhook = await ownWebhook(actor, param(req, 'id'));
    const { limit: _l, cursor: _c, offset: _o, ...filters } = query;
    // The times come read as UTC (schemas/common.ts `instant`), as the log stores them.
    const { deliveries, next } = await webhooks.deliveriesFor(webhook.id, filters, keysetParams(query, filters));
    sendPage(req, res, keysetAnswer(deliveries, next, query, filters));
  }));

  /**
   * Sends a delivery again, now, with the payload it had and its id (a receiver
   * that dedups by it sees it once), on the schedule if it fails. Two requests
   * for the same try start one redelivery.
   */
  router.post('/v1/webhooks/:id/deliveries/:deliveryId/redeliver', handle(async (req, res) => {
    const actor = actorOf(req);
    RedeliverBody.parse(req.body ?? {});
    const webhook = await ownWebhook(actor, param(req, 'id'));
    const deliveryId = param(req, 'deliveryId');
    const outcome = await webhooks.getOutcome(deliveryId);
    if (!outcome || outcome.webhookId !== webhook.id) throw notFound('delivery');
    if (!webhook.active) throw new AppError(409, 'webhook_disabled', 'the webhook is disabled: turn it on (PATCH active: true) before redelivering', { disabledReason: webhook.disabledReason ?? null });
    if (!(await webhooks.outboxed(deliveryId))) throw new AppError(409, 'not_redeliverable', 'this delivery was planned by an earlier version, which kept no copy of its payload');
    await sendOnSchedule(`webhooks:redeliver:${deliveryId}:${outcome.attempts}`, deliveryId);
    res.status(200).json({ deliveryId, webhookId: webhook.id, status: 'redelivering' });
  }));

  /** A new secret, shown once; the old one signs beside it for a day (SECRET_OVERLAP_MS). */
  router.post('/v1/webhooks/:id/rotate-secret', handle(async (req, res) => {
    const actor = actorOf(req);
    RotateSecretBody.parse(req.body ?? {});
    const expectedVersion = ifMatch(req);
    const rotated = await webhooks.rotateSecret(await ownCompany(actor), param(req, 'id'), now(), { expectedVersion });
    const webhook = written(rotated, 'webhook');
    sendVersioned(res, webhook, { ...webhook, secret: rotated.secret });
  }));

  /** A `webhook.test` event, sent now to this webhook alone, whatever it listens to; its delivery is in the log. */
  router.post('/v1/webhooks/:id/test', handle(async (req, res) => {
    const actor = actorOf(req);
    TestEventBody.parse(req.body ?? {});
    const webhook = await ownWebhook(actor, param(req, 'id'));
    if (!webhook.active) throw new AppError(409, 'webhook_disabled', 'the webhook is disabled: turn it on (PATCH active: true) to test it', { disabledReason: webhook.disabledReason ?? null });
    const eventId = newId('evt_test');
    const id = webhookDeliveryId(eventId, webhook.id, WEBHOOK_TEST_EVENT);
    const at = now();
    const delivery: WebhookDelivery = { id, webhookId: webhook.id, payload: { id, type: WEBHOOK_TEST_EVENT, occurredAt: at, companyId: webhook.companyId, webhookId: webhook.id, actor: { userId: actor.userId } } };
    await webhooks.putOutbox([delivery], at);
    await sendOnSchedule(`webhooks:test:${eventId}`, id);
    res.status(200).json({ deliveryId: id, webhookId: webhook.id, type: WEBHOOK_TEST_EVENT, status: 'sending' });
  }));

  return router;
}
