import { Router } from 'express';
import type { AppDeps } from '../deps';
import { newId, type User } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import { actorOf, enforce } from '../actor';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { UserBody, UserPatch } from '../schemas/people';
import { checkNewUser, checkRoles, checkUserEdit, isOperator, managesKeysOf, seesUser } from '../tenancy';

/** Users and API keys, each company's by its own admins (api/tenancy.ts); everyone may read themselves. */
export function peopleRoutes({ stores }: AppDeps): Router {
  const { people } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  router.get('/v1/me', handle(async (req, res) => {
    const actor = actorOf(req);
    const [user, company] = await Promise.all([people.getUser(actor.userId), people.getCompany(actor.companyId ?? '')]);
    res.json({ user, company });
  }));

  /** A user the caller may see; 404 for every other, as for a record. */
  const seenUser = async (actor: Actor, id: string): Promise<User> => {
    const user = await people.getUser(id);
    if (!user || !seesUser(actor, user)) throw notFound('user');
    return user;
  };

  const companyOf = async (id: string) => {
    const company = await people.getCompany(id);
    if (!company) throw new AppError(422, 'unknown_company', `company ${id} does not exist`);
    return company;
  };

  router.post('/v1/users', handle(async (req, res) => {
    const actor = actorOf(req);
    const body = UserBody.parse(req.body);
    enforce(checkNewUser(actor, body.companyId));
    enforce(checkRoles(actor, await companyOf(body.companyId), body.roles));
    const user = { id: newId('usr'), ...body, createdAt: now() };
    await people.upsertUser(user);
    res.status(201).json(user);
  }));

  router.get('/v1/users', handle(async (req, res) => {
    const actor = actorOf(req);
    const users = await people.listUsers(isOperator(actor) ? undefined : actor.companyId);
    res.json({ items: users.filter((u) => seesUser(actor, u)) });
  }));

  router.get('/v1/users/:id', handle(async (req, res) => {
    res.json(await seenUser(actorOf(req), param(req, 'id')));
  }));

  router.patch('/v1/users/:id', handle(async (req, res) => {
    const actor = actorOf(req);
    const patch = UserPatch.parse(req.body);
    const user = await people.getUser(param(req, 'id'));
    if (!user) throw notFound('user');
    enforce(checkUserEdit(actor, user));
    if (patch.roles) enforce(checkRoles(actor, await companyOf(user.companyId), patch.roles));
    const { department, ...rest } = patch;
    const updated = { ...user, ...rest, department: department === null ? undefined : (department ?? user.department) };
    await people.upsertUser(updated);
    res.json(updated);
  }));

  /** A user whose keys the caller manages: itself, or a user of a company it runs. */
  const keyHolder = async (actor: Actor, id: string): Promise<User> => {
    const user = await people.getUser(id);
    if (!user || !managesKeysOf(actor, user)) throw notFound('user');
    return user;
  };

  /** A key is shown once, in this response; only its hash is kept. */
  router.post('/v1/users/:id/api-keys', handle(async (req, res) => {
    const user = await keyHolder(actorOf(req), param(req, 'id'));
    res.status(201).json(await people.createApiKey(user.id, now()));
  }));

  router.get('/v1/users/:id/api-keys', handle(async (req, res) => {
    const user = await keyHolder(actorOf(req), param(req, 'id'));
    res.json({ items: await people.listApiKeys(user.id) });
  }));

  router.post('/v1/api-keys/:id/revoke', handle(async (req, res) => {
    const actor = actorOf(req);
    const key = await people.getApiKey(param(req, 'id'));
    const holder = key && (await people.getUser(key.userId));
    if (!key || !holder || !managesKeysOf(actor, holder)) throw notFound('API key');
    await people.revokeApiKey(key.id, now());
    res.json(await people.getApiKey(key.id));
  }));

  return router;
}
