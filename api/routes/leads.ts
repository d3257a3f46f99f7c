import { Router } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { handle } from '../errors';
import { idempotencyKey } from '../idempotency';
import { param } from '../params';
import { CloseBody, ConvertBody, DeclineBody, EmptyBody, ExpirationBody, ReassignBody } from '../schemas/leads';
import type { leadUseCases } from '../use-cases/leads';

/** The partner program's buttons: accept, decline, convert, close, reassign, and the expiration date. */
export function leadRoutes(_deps: AppDeps, leads: ReturnType<typeof leadUseCases>): Router {
  const router = Router();
  const key = (header: string | undefined) => idempotencyKey(header);

  router.post('/v1/leads/:id/accept', handle(async (req, res) => {
    EmptyBody.parse(req.body ?? {});
    res.json(await leads.accept(actorOf(req), param(req, 'id'), key(req.get('idempotency-key'))));
  }));
  router.post('/v1/leads/:id/decline', handle(async (req, res) => {
    const { reason } = DeclineBody.parse(req.body);
    res.json(await leads.decline(actorOf(req), param(req, 'id'), reason, key(req.get('idempotency-key'))));
  }));
  router.post('/v1/leads/:id/convert', handle(async (req, res) => {
    const body = ConvertBody.parse(req.body);
    res.json(await leads.convert(actorOf(req), param(req, 'id'), body, key(req.get('idempotency-key'))));
  }));
  router.post('/v1/leads/:id/close', handle(async (req, res) => {
    const { reason } = CloseBody.parse(req.body);
    res.json(await leads.close(actorOf(req), param(req, 'id'), reason, key(req.get('idempotency-key'))));
  }));
  router.post('/v1/leads/:id/reassign', handle(async (req, res) => {
    const { partnerCompanyId } = ReassignBody.parse(req.body);
    res.json(await leads.reassign(actorOf(req), param(req, 'id'), partnerCompanyId, key(req.get('idempotency-key'))));
  }));
  router.put('/v1/leads/:id/expiration', handle(async (req, res) => {
    const { expiresAt } = ExpirationBody.parse(req.body);
    res.json(await leads.setExpiration(actorOf(req), param(req, 'id'), new Date(expiresAt).toISOString()));
  }));
  return router;
}
