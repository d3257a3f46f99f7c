import { LRUCache } from 'lru-cache';
import type { Db } from 'mongodb';
import type { StageFieldClaim } from '../../workflows/domain/stage-field';
import { instanceIdFor, instanceIdsFor, type IdRecord } from '../../workflows/domain/instances';
import type { PipelineDefinition, PipelineVersion } from '../../workflows/domain/types';
import { COLLECTIONS, isDuplicateKey } from './collections';
import { adoptGlobalPipelines } from './pipeline-adoption';
import {
  pipelineId,
  toPipeline,
  toVersion,
  versionId,
  withDefaults,
  type PipelineDoc,
  type PipelineStatus,
  type StoredPipeline,
  type VersionDoc,
} from './pipeline-docs';
import type { ObjectTypeStore } from './object-types';
import { revision } from './revisions';
import { versionedWriter, type VersionedWrite, type WriteOptions } from './versioned';

export type { PipelineStatus, StoredPipeline } from './pipeline-docs';

export interface VersionSummary {
  key: string;
  version: number;
  name: string;
  publishedAt: string;
  publishedBy: string;
}

export class PipelineExistsError extends Error {
  constructor(readonly key: string) {
    super(`a pipeline with key "${key}" already exists`);
    this.name = 'PipelineExistsError';
  }
}

/** The pipeline kept being written by other requests while a publish tried to mark it published (its version is stored). */
export class PipelineBusyError extends Error {
  constructor(readonly key: string) {
    super(`pipeline "${key}" was being changed by other requests at the same time; publish again`);
    this.name = 'PipelineBusyError';
  }
}

/** Published versions kept in memory per process: far more than the pipelines a deployment runs. */
const VERSION_CACHE_SIZE = 500;

interface Catalogue {
  pipelines: Array<{ companyId: string; key: string; status: PipelineStatus; objectType: string; newestVersion?: number; globalIds?: boolean }>;
  /** One entry per draft and per published version. */
  objectTypes: Array<{ companyId: string; key: string; objectType: string; stageField: string }>;
}

/** The object types a definition works on: its own, and those its tasks create. */
export function objectTypesOf(def: Pick<PipelineDefinition, 'objectType' | 'stages'>): string[] {
  const created = def.stages.flatMap((s) => (s.tasks ?? []).flatMap((t) => (t.kind === 'create_record' ? [t.recordType] : [])));
  return [...new Set([def.objectType, ...created])];
}

/**
 * Pipeline drafts and their immutable published versions, each owned by a
 * company. Publishing registers the version's object types for the company.
 */
export function pipelineStore(db: Db, objectTypes: Pick<ObjectTypeStore, 'registerAll'>) {
  const pipelines = db.collection<PipelineDoc>(COLLECTIONS.pipelines);
  const versions = db.collection<VersionDoc>(COLLECTIONS.pipelineVersions);
  const versionCache = new LRUCache<string, PipelineVersion>({ max: VERSION_CACHE_SIZE });
  const writer = versionedWriter(db, pipelines);

  /**
   * What triggers and record writes ask of every pipeline: its status and
   * object type, each version's number and stage field. Held per process
   * until a pipeline changes; definitions come from `getVersion`'s cache.
   */
  const changes = revision(db, COLLECTIONS.pipelines);
  const catalogue = changes.cached(async (): Promise<Catalogue> => {
    const [drafts, published] = await Promise.all([
      pipelines.find({}, { projection: { companyId: 1, key: 1, status: 1, globalIds: 1, 'draft.objectType': 1, 'draft.stageField': 1 } }).toArray(),
      versions.find({}, { projection: { companyId: 1, pipelineKey: 1, version: 1, 'definition.objectType': 1, 'definition.stageField': 1 } }).toArray(),
    ]);
    const newest = new Map<string, number>();
    for (const v of published) {
      const id = pipelineId(v.companyId, v.pipelineKey);
      newest.set(id, Math.max(v.version, newest.get(id) ?? 0));
    }
    return {
      pipelines: drafts.map((d) => ({
        companyId: d.companyId,
        key: d.key,
        status: d.status,
        objectType: d.draft.objectType,
        newestVersion: newest.get(d._id),
        globalIds: d.globalIds,
      })),
      objectTypes: [
        ...drafts.map((d) => ({ companyId: d.companyId, key: d.key, objectType: d.draft.objectType, stageField: d.draft.stageField })),
        ...published.map((v) => ({ companyId: v.companyId, key: v.pipelineKey, objectType: v.definition.objectType, stageField: v.definition.stageField })),
      ],
    };
  });
  const catalogueOf = async (companyId: string) => {
    const { pipelines: all, objectTypes } = await catalogue();
    return { pipelines: all.filter((p) => p.companyId === companyId), objectTypes: objectTypes.filter((t) => t.companyId === companyId) };
  };

  /** The number of the newest published version of `key`, read from the versions themselves (the truth on FerretDB). */
  const newestVersionNumber = async (companyId: string, key: string): Promise<number | undefined> => {
    const doc = await versions.find({ companyId, pipelineKey: key }, { projection: { version: 1 } }).sort({ version: -1 }).limit(1).next();
    return doc?.version;
  };

  /** Published versions never change, so each is read from MongoDB once per process. */
  async function getVersion(companyId: string, key: string, version: number): Promise<PipelineVersion | undefined> {
    const id = versionId(companyId, key, version);
    const cached = versionCache.get(id);
    if (cached) return cached;
    // A version from before companies owned pipelines keeps its old id until the upgrade adopts it.
    const doc = (await versions.findOne({ _id: id })) ?? (await versions.findOne({ _id: `${key}@${version}` }));
    if (!doc) return undefined;
    const found = toVersion(doc);
    versionCache.set(id, found);
    return found;
  }

  /** A write of the pipeline's document on the version it read (versioned.ts): concurrent edits, publishes and disables all land or are refused. */
  const update = async (
    companyId: string,
    key: string,
    change: (doc: PipelineDoc) => PipelineDoc | undefined,
    opts: WriteOptions = {},
  ): Promise<VersionedWrite<StoredPipeline>> => {
    const result = await writer.write(pipelineId(companyId, key), change, opts);
    if (result.status === 'written') await changes.changed();
    return 'doc' in result ? { ...result, doc: toPipeline(result.doc) } : result;
  };

  return {
    /** Throws PipelineExistsError when the key is taken. */
    async createDraft(companyId: string, def: PipelineDefinition, actorId: string, now: string): Promise<StoredPipeline> {
      const doc: PipelineDoc = {
        _id: pipelineId(companyId, def.key),
        companyId,
        key: def.key,
        draft: def,
        status: 'draft',
        latestVersion: 0,
        createdAt: now,
        updatedAt: now,
        createdBy: actorId,
        updatedBy: actorId,
      };
      try {
        const written = await writer.insert(doc);
        await changes.changed();
        return toPipeline(written);
      } catch (err) {
        if (isDuplicateKey(err)) throw new PipelineExistsError(def.key);
        throw err;
      }
    },

    /** Published versions live in their own documents, so editing the draft never touches them. */
    async replaceDraft(companyId: string, key: string, def: PipelineDefinition, actorId: string, now: string, opts: WriteOptions = {}): Promise<VersionedWrite<StoredPipeline>> {
      return update(companyId, key, (doc) => ({ ...doc, draft: def, updatedAt: now, updatedBy: actorId }), opts);
    },

    async get(companyId: string, key: string): Promise<StoredPipeline | undefined> {
      const doc = await pipelines.findOne({ _id: pipelineId(companyId, key) });
      return doc ? toPipeline(doc) : undefined;
    },

    /** The company's pipelines, by key. */
    async list(companyId: string): Promise<StoredPipeline[]> {
      return (await pipelines.find({ companyId }).sort({ key: 1 }).toArray()).map(toPipeline);
    },

    /**
     * Freezes the current draft as the next version. The unique (pipelineKey,
     * version) index arbitrates two concurrent publishes: the loser gets a
     * duplicate key and retries once past the newest stored version.
     */
    async publish(companyId: string, key: string, actorId: string, now: string): Promise<PipelineVersion | undefined> {
      const current = await pipelines.findOne({ _id: pipelineId(companyId, key) });
      if (!current) return undefined;
      const insert = async (version: number): Promise<VersionDoc> => {
        const doc: VersionDoc = {
          _id: versionId(companyId, key, version),
          companyId,
          pipelineKey: key,
          version,
          definition: withDefaults(current.draft),
          publishedAt: now,
          publishedBy: actorId,
        };
        await versions.insertOne(doc);
        return doc;
      };
      let doc: VersionDoc;
      try {
        doc = await insert(current.latestVersion + 1);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        doc = await insert(((await newestVersionNumber(companyId, key)) ?? current.latestVersion) + 1);
      }
      // The newest of the two: a slower concurrent publish must not move latestVersion back.
      const marked = await update(companyId, key, (d) => ({ ...d, status: 'published', latestVersion: Math.max(d.latestVersion, doc.version), updatedAt: now, updatedBy: actorId }));
      if (marked.status === 'conflict') throw new PipelineBusyError(key);
      // After the version is stored: a publish cut off before this is registered by the next start's upgrade (prepareDatabase).
      await objectTypes.registerAll(objectTypesOf(doc.definition).map((t) => ({ companyId, key: t })), 'pipeline', now);
      return toVersion(doc);
    },

    /** New instances stop starting; running ones keep their version. Publishing again re-enables. */
    async disable(companyId: string, key: string, actorId: string, now: string): Promise<VersionedWrite<StoredPipeline>> {
      return update(companyId, key, (doc) => ({ ...doc, status: 'disabled', updatedAt: now, updatedBy: actorId }));
    },

    getVersion,

    /** What a new instance runs; undefined when the pipeline is disabled or was never published. */
    async latestPublished(companyId: string, key: string): Promise<PipelineVersion | undefined> {
      const pipeline = (await catalogueOf(companyId)).pipelines.find((p) => p.key === key);
      if (pipeline?.status !== 'published' || pipeline.newestVersion === undefined) return undefined;
      // The versions collection, not latestVersion, is the truth: FerretDB updates are not atomic.
      return getVersion(companyId, key, pipeline.newestVersion);
    },

    /** The newest published version of every enabled pipeline of the company for this object type (what triggers consider). */
    async publishedFor(companyId: string, objectType: string): Promise<PipelineVersion[]> {
      const live = (await catalogueOf(companyId)).pipelines.filter((p) => p.objectType === objectType && p.status === 'published');
      const newest = await Promise.all(live.map((p) => (p.newestVersion === undefined ? undefined : getVersion(companyId, p.key, p.newestVersion))));
      return newest.filter((v): v is PipelineVersion => v !== undefined && v.objectType === objectType);
    },

    /** Stage fields of every pipeline of the company on this object type, draft or published: only moves may write them. */
    async stageFieldsFor(companyId: string, objectType: string): Promise<string[]> {
      const { objectTypes } = await catalogueOf(companyId);
      return [...new Set(objectTypes.filter((t) => t.objectType === objectType).map((t) => t.stageField))];
    },

    /** Keys of every pipeline of the company whose draft or some published version runs on this object type: those that can hold its records. */
    async keysFor(companyId: string, objectType: string): Promise<string[]> {
      const { objectTypes } = await catalogueOf(companyId);
      return [...new Set(objectTypes.filter((t) => t.objectType === objectType).map((t) => t.key))].sort();
    },

    /**
     * Every id an instance of the pipeline for this record can have: one, or
     * for a pipeline adopted from before companies owned pipelines also the id
     * its instances of that time keep (asked only where such instances exist).
     */
    async instanceIds(pipeline: Pick<PipelineDefinition, 'key' | 'multipleRuns'>, record: IdRecord): Promise<string[]> {
      const { pipelines: all } = await catalogueOf(record.companyId);
      const adopted = all.some((p) => p.key === pipeline.key && p.globalIds);
      return adopted ? instanceIdsFor(pipeline, record) : [instanceIdFor(pipeline, record)];
    },

    /**
     * The enabled (published) pipelines on this object type, with their stage
     * fields: read from the pipelines themselves, not the per-process catalogue,
     * so a publish checks against what another process just enabled. Without
     * transactions two publishes racing for one field can both pass; the window
     * is one read and one write wide.
     */
    async enabledOn(companyId: string, objectType: string): Promise<StageFieldClaim[]> {
      const docs = await pipelines
        .find({ companyId, status: 'published', 'draft.objectType': objectType }, { projection: { key: 1, 'draft.objectType': 1, 'draft.stageField': 1 } })
        .toArray();
      return docs.map((d) => ({ key: d.key, objectType: d.draft.objectType, stageField: d.draft.stageField }));
    },

    /** Newest first. */
    async listVersions(companyId: string, key: string): Promise<VersionSummary[]> {
      const docs = await versions.find({ companyId, pipelineKey: key }).sort({ version: -1 }).toArray();
      return docs.map((d) => ({ key, version: d.version, name: d.definition.name, publishedAt: d.publishedAt, publishedBy: d.publishedBy }));
    },

    /** The upgrade from pipelines without companies (adoptGlobalPipelines); the change token tells every process its catalogue is stale. */
    async adoptGlobal(companyId: string): Promise<{ pipelines: number; versions: number }> {
      const adopted = await adoptGlobalPipelines(pipelines, versions, companyId);
      if (adopted.pipelines + adopted.versions > 0) await changes.changed();
      return adopted;
    },
  };
}

export type PipelineStore = ReturnType<typeof pipelineStore>;
