import { Router, type Request } from 'express';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { ifMatch, staleVersion, writeConflict } from '../conditional';
import { AppError, handle } from '../errors';
import { idempotencyKey } from '../idempotency';
import { param } from '../params';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import { ObjectTypeParam, RecordCreateBody, RecordGetQuery, RecordListQuery, RecordPatchBody, RecordSearchBody } from '../schemas/records';
import { answersSummary, markSummaryDeprecated } from '../instance-shape';
import type { RecordUseCases } from '../use-cases/records';
import type { ObjectTypeUseCases } from '../use-cases/object-types';

/**
 * A record's version refusal as every versioned route answers it: 412 when
 * the caller named the version it expects (If-Match or `version`), 409
 * conflict when it named none and another write got there first.
 */
function asPrecondition(err: unknown, named: boolean): unknown {
  if (!(err instanceof AppError) || err.code !== 'stale_version') return err;
  return named ? staleVersion(err.message) : writeConflict('record');
}

export function recordRoutes(_deps: AppDeps, records: RecordUseCases, objectTypes: ObjectTypeUseCases): Router {
  const router = Router();

  /** Every record route's type: well-formed (400), then one the caller's company has (404 unknown_object_type), before anything else is read. */
  const typeOf = async (req: Request) => {
    const type = ObjectTypeParam.parse(param(req, 'type'));
    await objectTypes.require(actorOf(req), type);
    return type;
  };

  router.post('/v1/records/:type', handle(async (req, res) => {
    const type = await typeOf(req);
    const body = RecordCreateBody.parse(req.body);
    const record = await records.create(actorOf(req), type, body, idempotencyKey(req.get('idempotency-key')));
    res.status(201).location(`/v1/records/${encodeURIComponent(record.type)}/${encodeURIComponent(record.id)}`).set('ETag', `"${record.version}"`).json(record);
  }));

  router.get('/v1/records/:type', handle(async (req, res) => {
    const type = await typeOf(req);
    sendPage(req, res, await records.list(actorOf(req), type, RecordListQuery.parse(req.query)));
  }));

  router.post('/v1/records/:type/search', handle(async (req, res) => {
    const type = await typeOf(req);
    const body = RecordSearchBody.parse(req.body);
    res.json(await records.search(actorOf(req), type, body));
  }));

  router.get('/v1/records/:type/:id', handle(async (req, res) => {
    const { shape } = RecordGetQuery.parse(req.query);
    const record = await records.get(actorOf(req), await typeOf(req), param(req, 'id'), shape);
    if (answersSummary(shape)) markSummaryDeprecated(res, 'getRecord');
    res.set('ETag', `"${record.version}"`).json(record);
  }));

  router.patch('/v1/records/:type/:id', handle(async (req, res) => {
    const type = await typeOf(req);
    const body = RecordPatchBody.parse(req.body);
    const header = ifMatch(req);
    if (header !== undefined && body.version !== undefined && header !== body.version) {
      throw new AppError(400, 'invalid_request', 'If-Match and body.version disagree');
    }
    const expected = header ?? body.version;
    const record = await records.update(actorOf(req), type, param(req, 'id'), body.fields, expected).catch((err: unknown) => {
      throw asPrecondition(err, expected !== undefined);
    });
    res.set('ETag', `"${record.version}"`).json(record);
  }));

  router.get('/v1/records/:type/:id/events', handle(async (req, res) => {
    const type = await typeOf(req);
    const page = PageQuery.parse(req.query);
    const { items } = await records.events(actorOf(req), type, param(req, 'id'));
    sendPage(req, res, pageOfList(items, (e) => `${e.at}|${e.eventId}`, page, { record: param(req, 'id') }));
  }));

  return router;
}
