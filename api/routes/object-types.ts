import { Router } from 'express';
import type { AppDeps } from '../deps';
import { actorOf, requireAdmin } from '../actor';
import { handle, notFound } from '../errors';
import { param } from '../params';
import { ObjectTypeParam } from '../schemas/records';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import { ObjectTypeBody } from '../schemas/object-types';
import type { ObjectTypeUseCases } from '../use-cases/object-types';

/**
 * The caller's company's object types. Registering is idempotent: a key
 * already known answers 200 with the type as it stands (its source may be
 * `pipeline` or `builtin`), a new one 201.
 */
export function objectTypeRoutes(_deps: AppDeps, objectTypes: ObjectTypeUseCases): Router {
  const router = Router();

  router.get('/v1/object-types', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    sendPage(req, res, pageOfList(await objectTypes.list(actorOf(req)), (t) => t.key, page, {}));
  }));

  router.get('/v1/object-types/:key', handle(async (req, res) => {
    const key = ObjectTypeParam.parse(param(req, 'key'));
    const found = (await objectTypes.list(actorOf(req))).find((t) => t.key === key);
    if (!found) throw notFound('object type');
    res.json(found);
  }));

  router.post('/v1/object-types', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const body = ObjectTypeBody.parse(req.body);
    const { type, created } = await objectTypes.register(actor, body);
    res.status(created ? 201 : 200).location(`/v1/object-types/${encodeURIComponent(type.key)}`).json(type);
  }));

  return router;
}
