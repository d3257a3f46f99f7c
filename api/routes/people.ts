import { Router } from 'express';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import type { AppDeps } from '../deps';
import { newId } from '../../activities/store';
import { actorOf, enforce } from '../actor';
import { ifMatch, sendVersioned } from '../conditional';
import { handle } from '../errors';
import { param } from '../params';
import { UserBody, UserPatch } from '../schemas/people';
import { checkNewUser, checkRoles, userListScope } from '../tenancy';
import type { UserUseCases } from '../use-cases/users';

/** Users, each company's by its own admins (api/tenancy.ts); everyone may read themselves. */
export function peopleRoutes({ stores, temporalWebUi }: AppDeps, users: UserUseCases): Router {
  const { people } = stores;
  const router = Router();

  router.get('/v1/me', handle(async (req, res) => {
    const actor = actorOf(req);
    const [user, company] = await Promise.all([people.getUser(actor.userId), people.getCompany(actor.companyId ?? '')]);
    // The Web UI is the owner's SREs' tool: a partner's users are not told where it is.
    res.json({ user, company, ...(temporalWebUi && company?.kind !== 'partner' && { temporalWebUi }) });
  }));

  router.post('/v1/users', handle(async (req, res) => {
    const actor = actorOf(req);
    const body = UserBody.parse(req.body);
    enforce(checkNewUser(actor, body.companyId));
    enforce(checkRoles(actor, await users.companyOf(body.companyId), body.roles));
    const user = { id: newId('usr'), ...body, createdAt: new Date().toISOString(), version: 1 };
    await people.upsertUser(user);
    res.location(`/v1/users/${user.id}`);
    sendVersioned(res, user, user, 201);
  }));

  router.get('/v1/users', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    sendPage(req, res, pageOfList(await people.listUsers(userListScope(actorOf(req))), (u) => u.id, page, {}));
  }));

  router.get('/v1/users/:id', handle(async (req, res) => {
    sendVersioned(res, await users.seen(actorOf(req), param(req, 'id')));
  }));

  router.patch('/v1/users/:id', handle(async (req, res) => {
    const patch = UserPatch.parse(req.body);
    sendVersioned(res, await users.update(actorOf(req), param(req, 'id'), patch, ifMatch(req)));
  }));

  /** Deactivation, not erasure: the user's records, assignments and history stay; its keys stop working. */
  router.delete('/v1/users/:id', handle(async (req, res) => {
    sendVersioned(res, await users.deactivate(actorOf(req), param(req, 'id'), ifMatch(req)));
  }));

  return router;
}
