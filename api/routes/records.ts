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

/**
 * A record's version refusal as every versioned route answers it: 412 when
 * the caller named the version it expects (If-Match or `version`), 409
 * conflict when it named none and another write got there first.
 */
function asPrecondition(err: unknown, named: boolean): unknown {
  if (!(err instanceof AppError) || err.code !== 'stale_version') return err;
  return named ? staleVersion(err.message) : writeConflict('record');
}

const typeOf = (req: Request) => ObjectTypeParam.parse(param(req, 'type'));

export function recordRoutes(_deps: AppDeps, records: RecordUseCases): Router {
  const router = Router();

  router.post('/v1/records/:type', handle(async (req, res) => {
    const body = RecordCreateBody.parse(req.body);
    const record = await records.create(actorOf(req), typeOf(req), body, idempotencyKey(req.get('idempotency-key')));
    res.status(201).location(`/v1/records/${encodeURIComponent(record.type)}/${encodeURIComponent(record.id)}`).set('ETag', `"${record.version}"`).json(record);
  }));

  router.get('/v1/records/:type', handle(async (req, res) => {
    sendPage(req, res, await records.list(actorOf(req), typeOf(req), RecordListQuery.parse(req.query)));
  }));

  router.post('/v1/records/:type/search', handle(async (req, res) => {
    const body = RecordSearchBody.parse(req.body);
    res.json(await records.search(actorOf(req), typeOf(req), body));
  }));

  router.get('/v1/records/:type/:id', handle(async (req, res) => {
    const { shape } = RecordGetQuery.parse(req.query);
    const record = await records.get(actorOf(req), typeOf(req), param(req, 'id'), shape);
    if (answersSummary(shape)) markSummaryDeprecated(res, 'getRecord');
    res.set('ETag', `"${record.version}"`).json(record);
  }));

  router.patch('/v1/records/:type/:id', handle(async (req, res) => {
    const body = RecordPatchBody.parse(req.body);
    const header = ifMatch(req);
    if (header !== undefined && body.version !== undefined && header !== body.version) {
      throw new AppError(400, 'invalid_request', 'If-Match and body.version disagree');
    }
    const expected = header ?? body.version;
    const record = await records.update(actorOf(req), typeOf(req), param(req, 'id'), body.fields, expected).catch((err: unknown) => {
      throw asPrecondition(err, expected !== undefined);
    });
    res.set('ETag', `"${record.version}"`).json(record);
  }));

  router.get('/v1/records/:type/:id/events', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    const { items } = await records.events(actorOf(req), typeOf(req), param(req, 'id'));
    sendPage(req, res, pageOfList(items, (e) => `${e.at}|${e.eventId}`, page, { record: param(req, 'id') }));
  }));

  return router;
}
