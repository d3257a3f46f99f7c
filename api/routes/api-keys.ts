import { Router } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { AppError, handle } from '../errors';
import { param } from '../params';
import { keysetAnswer, keysetParams, pageOfList, PageQuery, sendPage } from '../cursor';
import { ApiKeyBody } from '../schemas/people';
import { readsAuditOf } from '../tenancy';
import type { ApiKeyUseCases } from '../use-cases/api-keys';

/** API keys (shown once, stored hashed, revocable, optionally expiring) and the company audit trail that records them. */
export function apiKeyRoutes({ stores }: AppDeps, keys: ApiKeyUseCases): Router {
  const router = Router();

  router.post('/v1/users/:id/api-keys', handle(async (req, res) => {
    const body = ApiKeyBody.parse(req.body ?? {});
    // A key is read in its user's list (its secret only here, once).
    res.status(201).location(`/v1/users/${encodeURIComponent(param(req, 'id'))}/api-keys`).json(await keys.issue(actorOf(req), param(req, 'id'), body));
  }));

  router.get('/v1/users/:id/api-keys', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    sendPage(req, res, pageOfList(await keys.list(actorOf(req), param(req, 'id')), (k) => k.id, page, { user: param(req, 'id') }));
  }));

  router.get('/v1/api-keys', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    sendPage(req, res, pageOfList(await keys.listCompany(actorOf(req)), (k) => k.id, page, {}));
  }));

  router.post('/v1/api-keys/:id/revoke', handle(async (req, res) => {
    res.json(await keys.revoke(actorOf(req), param(req, 'id')));
  }));

  /** Who issued and revoked keys and deactivated users of the caller's company, newest first: its admins'. */
  router.get('/v1/audit', handle(async (req, res) => {
    const actor = actorOf(req);
    const page = PageQuery.parse(req.query);
    const companyId = actor.companyId ?? '';
    if (!readsAuditOf(actor, companyId)) throw new AppError(403, 'forbidden', "a company's audit trail is its admins'");
    const { entries, next } = await stores.audit.pageFor(companyId, keysetParams(page, {}));
    sendPage(req, res, keysetAnswer(entries, next, page, {}));
  }));

  return router;
}
