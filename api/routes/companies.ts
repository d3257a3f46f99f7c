import { Router } from 'express';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import type { AppDeps } from '../deps';
import { newId } from '../../activities/store';
import { actorOf, enforce } from '../actor';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { written } from '../conditional';
import { CompanyBody } from '../schemas/people';
import type { ApiKeyUseCases } from '../use-cases/api-keys';
import {
  checkNewCompany,
  checkProgramChange,
  checkProgramCompanies,
  companyListScope,
  companyView,
  firstAdminRoles,
  seesCompany,
  startingPrograms,
} from '../tenancy';

/**
 * Companies: the operator creates owner companies with their first admin; a
 * Company Admin adds partner companies to its program, and the operator or an
 * owner's Company Admin puts partner companies in and out of that owner's program.
 */
export function companyRoutes({ stores }: AppDeps, keys: ApiKeyUseCases): Router {
  const { people } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  /** The first admin's key is shown once, in this response, as `POST /v1/users/:id/api-keys` does. */
  router.post('/v1/companies', handle(async (req, res) => {
    const actor = actorOf(req);
    const { admin, ownerId, ...body } = CompanyBody.parse(req.body);
    enforce(checkNewCompany(actor, body.kind));
    const start = startingPrograms(actor, body.kind, ownerId);
    enforce(start);
    if (ownerId !== undefined && (await people.getCompany(ownerId))?.kind !== 'owner') {
      throw new AppError(422, 'unknown_company', `owner company ${ownerId} does not exist`, { ownerId });
    }
    const createdAt = now();
    const company = { id: newId('cmp'), ...body, ...(body.kind === 'partner' ? { programs: start.programs } : {}), createdAt };
    if (!admin) {
      await people.upsertCompany(company);
      res.status(201).location(`/v1/companies/${company.id}`).json({ company: companyView(actor, company) });
      return;
    }
    // The admin is written before its company: a company is never left without the admin it was asked for.
    const user = { id: newId('usr'), companyId: company.id, ...admin, roles: firstAdminRoles(body.kind), attributes: {}, createdAt };
    await people.upsertUser(user);
    const apiKey = await people.createApiKey(user.id, createdAt, { issuedBy: { userId: actor.userId, companyId: actor.companyId ?? '' } });
    await keys.recordFirstKey(actor, user, apiKey);
    await people.upsertCompany(company);
    res.status(201).location(`/v1/companies/${company.id}`).json({ company: companyView(actor, company), admin: { user, apiKey } });
  }));

  router.get('/v1/companies', handle(async (req, res) => {
    const actor = actorOf(req);
    const page = PageQuery.parse(req.query);
    const visible = await people.listCompanies(companyListScope(actor));
    sendPage(req, res, pageOfList(visible.map((c) => companyView(actor, c)), (c) => c.id, page, {}));
  }));

  router.get('/v1/companies/:id', handle(async (req, res) => {
    const actor = actorOf(req);
    const company = await people.getCompany(param(req, 'id'));
    if (!company || !seesCompany(actor, company)) throw notFound('company');
    res.json(companyView(actor, company));
  }));

  /**
   * In or out of an owner's program; either twice is the same as once. The
   * owner's Company Admin may name any partner company (it learns the id from
   * the partner), so the refusals come before anything is looked up.
   */
  const programChange = (member: boolean) =>
    handle(async (req, res) => {
      const actor = actorOf(req);
      const [partnerId, ownerId] = [param(req, 'id'), param(req, 'ownerId')];
      enforce(checkProgramChange(actor, ownerId));
      const [partner, owner] = await Promise.all([people.getCompany(partnerId), people.getCompany(ownerId)]);
      enforce(checkProgramCompanies(partner, owner));
      const changed = written(await people.setProgramMembership(partnerId, ownerId, member, now()), 'company');
      res.json(companyView(actor, changed));
    });

  router.put('/v1/companies/:id/programs/:ownerId', programChange(true));
  router.delete('/v1/companies/:id/programs/:ownerId', programChange(false));

  return router;
}
