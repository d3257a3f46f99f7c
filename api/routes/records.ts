import { Router, type Request } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { AppError, handle } from '../errors';
import { param } from '../params';
import { ObjectTypeParam, Page, RecordCreateBody, RecordPatchBody } from '../schemas/records';
import type { RecordUseCases } from '../use-cases/records';

/** If-Match: "3" (or 3) names the version the caller last saw. */
function ifMatch(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?(?:"(\d{1,9})"|(\d{1,9}))$/.exec(header.trim());
  if (!match) throw new AppError(400, 'invalid_if_match', 'If-Match must be a record version, e.g. "3"');
  return Number(match[1] ?? match[2]);
}

const typeOf = (req: Request) => ObjectTypeParam.parse(param(req, 'type'));

export function recordRoutes(_deps: AppDeps, records: RecordUseCases): Router {
  const router = Router();

  router.post('/v1/records/:type', handle(async (req, res) => {
    const body = RecordCreateBody.parse(req.body);
    const record = await records.create(actorOf(req), typeOf(req), body);
    res.status(201).set('ETag', `"${record.version}"`).json(record);
  }));

  router.get('/v1/records/:type', handle(async (req, res) => {
    res.json(await records.list(actorOf(req), typeOf(req), Page.parse(req.query)));
  }));

  router.get('/v1/records/:type/:id', handle(async (req, res) => {
    const record = await records.get(actorOf(req), typeOf(req), param(req, 'id'));
    res.set('ETag', `"${record.version}"`).json(record);
  }));

  router.patch('/v1/records/:type/:id', handle(async (req, res) => {
    const body = RecordPatchBody.parse(req.body);
    const header = ifMatch(req);
    if (header !== undefined && body.version !== undefined && header !== body.version) {
      throw new AppError(400, 'invalid_request', 'If-Match and body.version disagree');
    }
    const record = await records.update(actorOf(req), typeOf(req), param(req, 'id'), body.fields, header ?? body.version);
    res.set('ETag', `"${record.version}"`).json(record);
  }));

  router.get('/v1/records/:type/:id/events', handle(async (req, res) => {
    res.json(await records.events(actorOf(req), typeOf(req), param(req, 'id')));
  }));

  return router;
}
