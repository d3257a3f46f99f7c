import { Router } from 'express';
import type { AppDeps } from '../app';
import { newId } from '../../activities/store';
import { actorOf, enforce } from '../actor';
import { handle, notFound } from '../errors';
import { param } from '../params';
import { CompanyBody } from '../schemas/people';
import { checkNewCompany, firstAdminRoles, seesCompany } from '../tenancy';

/** Companies: the operator creates owner companies with their first admin; a Company Admin adds partner companies. */
export function companyRoutes({ stores }: AppDeps): Router {
  const { people } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  /** The first admin's key is shown once, in this response, as `POST /v1/users/:id/api-keys` does. */
  router.post('/v1/companies', handle(async (req, res) => {
    const actor = actorOf(req);
    const { admin, ...body } = CompanyBody.parse(req.body);
    enforce(checkNewCompany(actor, body.kind));
    const createdAt = now();
    const company = { id: newId('cmp'), ...body, createdAt };
    if (!admin) {
      await people.upsertCompany(company);
      res.status(201).json({ company });
      return;
    }
    // The admin is written before its company: a company is never left without the admin it was asked for.
    const user = { id: newId('usr'), companyId: company.id, ...admin, roles: firstAdminRoles(body.kind), attributes: {}, createdAt };
    await people.upsertUser(user);
    const apiKey = await people.createApiKey(user.id, createdAt);
    await people.upsertCompany(company);
    res.status(201).json({ company, admin: { user, apiKey } });
  }));

  router.get('/v1/companies', handle(async (req, res) => {
    const actor = actorOf(req);
    res.json({ items: (await people.listCompanies()).filter((c) => seesCompany(actor, c)) });
  }));

  router.get('/v1/companies/:id', handle(async (req, res) => {
    const company = await people.getCompany(param(req, 'id'));
    if (!company || !seesCompany(actorOf(req), company)) throw notFound('company');
    res.json(company);
  }));

  return router;
}
