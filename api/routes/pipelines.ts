import { Router } from 'express';
import { pageOfList, PageQuery, sendPage } from '../cursor';
import { PipelineBusyError, PipelineExistsError, type StoredPipeline } from '../../activities/store/pipelines';
import type { AppDeps } from '../deps';
import { actorOf, requireAdmin } from '../actor';
import { ifMatch, sendVersioned, writeConflict, written } from '../conditional';
import { refuseInactiveUsers } from '../inactive-users';
import { AppError, handle, notFound } from '../errors';
import { param } from '../params';
import { describeIssues } from '../schemas/common';
import { PipelineDefinitionBody, VersionParam } from '../schemas/pipeline';
import { changedFixedFields, stageFieldHolder } from '../../workflows/domain';
import type { Actor, PipelineDefinition } from '../../workflows/domain/types';

const summary = (p: StoredPipeline) => ({
  key: p.key,
  name: p.draft.name,
  objectType: p.draft.objectType,
  status: p.status,
  latestVersion: p.latestVersion,
  updatedAt: p.updatedAt,
});

/** A PUT names its pipeline in the path; a different key in the body would be a rename, which is not offered. */
function withPathKey(body: unknown, key: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const named = (body as { key?: unknown }).key;
  if (named !== undefined && named !== key) {
    throw new AppError(400, 'key_mismatch', `the body names pipeline "${String(named)}" but the path names "${key}"`);
  }
  return { ...body, key };
}

/** A pipeline's ETag is its document's revision, not a published version number. */
const tagOf = (p: StoredPipeline) => ({ version: p.revision });

/** The company whose pipelines a caller reads and, as its Company Admin, writes: its own. */
const ownerOf = (actor: Actor): string => actor.companyId ?? '';

/**
 * Pipeline definitions, each its company's: Company Admins write drafts and
 * publish immutable versions; every user of the company may read them. A key
 * names a pipeline within the caller's company, so two companies may each
 * run their own `partner-lead`.
 */
export function pipelineRoutes({ stores }: AppDeps): Router {
  const { pipelines } = stores;
  const router = Router();
  const now = () => new Date().toISOString();

  /** Once a pipeline has a published version, its object type and stage field are those of its versions (409 otherwise). */
  async function refuseFixedFieldChange(current: StoredPipeline, edited: PipelineDefinition): Promise<void> {
    const newest = current.latestVersion > 0 ? await pipelines.getVersion(current.companyId, current.key, current.latestVersion) : undefined;
    const changed = newest ? changedFixedFields(newest, edited) : [];
    if (!newest || changed.length === 0) return;
    const fixed = changed.map((f) => `${f} "${newest[f]}"`).join(' and ');
    throw new AppError(409, 'stage_field_fixed', `${current.draft.name} has a published version: its ${fixed} cannot change; create another pipeline instead`, {
      fields: changed,
    });
  }

  router.post('/v1/pipelines', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const def = PipelineDefinitionBody.parse(req.body);
    await refuseInactiveUsers(stores.people, def);
    try {
      const created = await pipelines.createDraft(ownerOf(actor), def, actor.userId, now());
      res.location(`/v1/pipelines/${encodeURIComponent(created.key)}`);
      sendVersioned(res, tagOf(created), created, 201);
    } catch (err) {
      if (err instanceof PipelineExistsError) throw new AppError(409, 'duplicate', err.message, { key: err.key });
      throw err;
    }
  }));

  router.put('/v1/pipelines/:key', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const key = param(req, 'key');
    const def = PipelineDefinitionBody.parse(withPathKey(req.body, key));
    const expectedVersion = ifMatch(req);
    const current = await pipelines.get(ownerOf(actor), key);
    if (!current) throw notFound('pipeline');
    await refuseFixedFieldChange(current, def);
    await refuseInactiveUsers(stores.people, def);
    const saved = written(await pipelines.replaceDraft(current.companyId, key, def, actor.userId, now(), { expectedVersion }), 'pipeline');
    sendVersioned(res, tagOf(saved), saved);
  }));

  router.get('/v1/pipelines', handle(async (req, res) => {
    const page = PageQuery.parse(req.query);
    sendPage(req, res, pageOfList((await pipelines.list(ownerOf(actorOf(req)))).map(summary), (p) => p.key, page, {}));
  }));

  router.get('/v1/pipelines/:key', handle(async (req, res) => {
    const pipeline = await pipelines.get(ownerOf(actorOf(req)), param(req, 'key'));
    if (!pipeline) throw notFound('pipeline');
    sendVersioned(res, tagOf(pipeline), pipeline);
  }));

  router.get('/v1/pipelines/:key/versions', handle(async (req, res) => {
    const company = ownerOf(actorOf(req));
    const key = param(req, 'key');
    const page = PageQuery.parse(req.query);
    if (!(await pipelines.get(company, key))) throw notFound('pipeline');
    sendPage(req, res, pageOfList(await pipelines.listVersions(company, key), (v) => v.version, page, { key }));
  }));

  router.get('/v1/pipelines/:key/versions/:version', handle(async (req, res) => {
    const company = ownerOf(actorOf(req));
    const version = await pipelines.getVersion(company, param(req, 'key'), VersionParam.parse(param(req, 'version')));
    if (!version) throw notFound('pipeline version');
    res.json(version);
  }));

  /**
   * The draft was checked when saved; checking again catches drafts stored
   * before a rule was added. Publishing (or re-enabling) is refused while
   * another enabled pipeline holds the same object type and stage field.
   */
  router.post('/v1/pipelines/:key/publish', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const current = await pipelines.get(ownerOf(actor), param(req, 'key'));
    if (!current) throw notFound('pipeline');
    const check = PipelineDefinitionBody.safeParse(current.draft);
    if (!check.success) {
      throw new AppError(422, 'invalid_definition', 'the draft cannot be published', { problems: describeIssues(check.error) });
    }
    // A draft stored before the fixed-field rule may have moved off the field its versions run on.
    await refuseFixedFieldChange(current, current.draft);
    // Nobody deactivated since the draft was saved becomes an assignee or participant of a new version.
    await refuseInactiveUsers(stores.people, current.draft);
    const holder = stageFieldHolder(current.draft, await pipelines.enabledOn(current.companyId, current.draft.objectType));
    if (holder) {
      const { objectType, stageField } = current.draft;
      throw new AppError(409, 'stage_field_taken', `pipeline "${holder}" already runs ${objectType} records on stage field "${stageField}"; disable it first, or use another field`, {
        pipelineKey: holder,
        objectType,
        stageField,
      });
    }
    const version = await pipelines.publish(current.companyId, current.key, actor.userId, now()).catch((err: unknown) => {
      throw err instanceof PipelineBusyError ? writeConflict('pipeline') : err;
    });
    if (!version) throw notFound('pipeline');
    res.status(201).location(`/v1/pipelines/${encodeURIComponent(current.key)}/versions/${version.version}`).json(version);
  }));

  router.post('/v1/pipelines/:key/disable', handle(async (req, res) => {
    const actor = actorOf(req);
    requireAdmin(actor);
    const disabled = written(await pipelines.disable(ownerOf(actor), param(req, 'key'), actor.userId, now()), 'pipeline');
    sendVersioned(res, tagOf(disabled), disabled);
  }));

  return router;
}
