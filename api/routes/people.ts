import { Router } from 'express';
import type { AppDeps } from '../app';
import { newId } from '../../activities/store';
import { actorOf, isAdmin, requireAdmin } from '../actor';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { CompanyBody, UserBody, UserPatch } from '../schemas/people';

/** Companies, users and API keys. Admins manage them; everyone may read themselves. */
export function peopleRoutes({ stores }: AppDeps): Router {
  const { people } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  router.get('/v1/me', handle(async (req, res) => {
    const actor = actorOf(req);
    const [user, company] = await Promise.all([people.getUser(actor.userId), people.getCompany(actor.companyId ?? '')]);
    res.json({ user, company });
  }));

  router.post('/v1/companies', handle(async (req, res) => {
    requireAdmin(actorOf(req));
    const body = CompanyBody.parse(req.body);
    const company = { id: newId('cmp'), ...body, createdAt: now() };
    await people.upsertCompany(company);
    res.status(201).json(company);
  }));

  router.get('/v1/companies', handle(async (req, res) => {
    const actor = actorOf(req);
    const all = await people.listCompanies();
    res.json({ items: isAdmin(actor) ? all : all.filter((c) => c.id === actor.companyId) });
  }));

  router.get('/v1/companies/:id', handle(async (req, res) => {
    const actor = actorOf(req);
    const company = await people.getCompany(param(req, 'id'));
    if (!company || (!isAdmin(actor) && company.id !== actor.companyId)) throw notFound('company');
    res.json(company);
  }));

  router.post('/v1/users', handle(async (req, res) => {
    requireAdmin(actorOf(req));
    const body = UserBody.parse(req.body);
    if (!(await people.getCompany(body.companyId))) {
      throw new AppError(422, 'unknown_company', `company ${body.companyId} does not exist`);
    }
    const user = { id: newId('usr'), ...body, createdAt: now() };
    await people.upsertUser(user);
    res.status(201).json(user);
  }));

  router.get('/v1/users', handle(async (req, res) => {
    const actor = actorOf(req);
    res.json({ items: await people.listUsers(isAdmin(actor) ? undefined : actor.companyId) });
  }));

  const visibleUser = async (actorId: string, admin: boolean, companyId: string | undefined, id: string) => {
    const user = await people.getUser(id);
    if (!user || (!admin && user.companyId !== companyId && user.id !== actorId)) throw notFound('user');
    return user;
  };

  router.get('/v1/users/:id', handle(async (req, res) => {
    const actor = actorOf(req);
    res.json(await visibleUser(actor.userId, isAdmin(actor), actor.companyId, param(req, 'id')));
  }));

  router.patch('/v1/users/:id', handle(async (req, res) => {
    requireAdmin(actorOf(req));
    const patch = UserPatch.parse(req.body);
    const user = await people.getUser(param(req, 'id'));
    if (!user) throw notFound('user');
    const { department, ...rest } = patch;
    const updated = { ...user, ...rest, department: department === null ? undefined : (department ?? user.department) };
    await people.upsertUser(updated);
    res.json(updated);
  }));

  /** A key is shown once, in this response; only its hash is kept. */
  router.post('/v1/users/:id/api-keys', handle(async (req, res) => {
    const actor = actorOf(req);
    if (!isAdmin(actor) && actor.userId !== param(req, 'id')) throw notFound('user');
    if (!(await people.getUser(param(req, 'id')))) throw notFound('user');
    res.status(201).json(await people.createApiKey(param(req, 'id'), now()));
  }));

  router.get('/v1/users/:id/api-keys', handle(async (req, res) => {
    const actor = actorOf(req);
    if (!isAdmin(actor) && actor.userId !== param(req, 'id')) throw notFound('user');
    if (!(await people.getUser(param(req, 'id')))) throw notFound('user');
    res.json({ items: await people.listApiKeys(param(req, 'id')) });
  }));

  router.post('/v1/api-keys/:id/revoke', handle(async (req, res) => {
    const actor = actorOf(req);
    const key = await people.getApiKey(param(req, 'id'));
    if (!key || (!isAdmin(actor) && key.userId !== actor.userId)) throw notFound('API key');
    await people.revokeApiKey(key.id, now());
    res.json(await people.getApiKey(key.id));
  }));

  return router;
}
