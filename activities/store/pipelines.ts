import { LRUCache } from 'lru-cache';
import type { Db } from 'mongodb';
import type { StageFieldClaim } from '../../workflows/domain/stage-field';
import type { PipelineDefinition, PipelineVersion } from '../../workflows/domain/types';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';
import { revision } from './revisions';

export type PipelineStatus = 'draft' | 'published' | 'disabled';

export interface StoredPipeline {
  key: string;
  draft: PipelineDefinition;
  status: PipelineStatus;
  /** 0 until the first publish. */
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

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

/** As found in MongoDB: definitions stored before the multiple-runs toggle existed lack the field. */
type StoredDefinition = Omit<PipelineDefinition, 'multipleRuns'> & { multipleRuns?: boolean };
type PipelineDoc = Doc<Omit<StoredPipeline, 'key' | 'draft'> & { draft: StoredDefinition }>;
type VersionDoc = Doc<{ pipelineKey: string; version: number; definition: StoredDefinition; publishedAt: string; publishedBy: string }>;

/** Those older pipelines ran one instance per contact, so a missing toggle means off (seed 002); new ones default to on in the API. */
const withDefaults = (def: StoredDefinition): PipelineDefinition => ({ ...def, multipleRuns: def.multipleRuns ?? false });

const toPipeline = ({ _id, draft, ...rest }: PipelineDoc): StoredPipeline => ({ key: _id, ...rest, draft: withDefaults(draft) });

const toVersion = (doc: VersionDoc): PipelineVersion => ({
  ...withDefaults(doc.definition),
  version: doc.version,
  publishedAt: doc.publishedAt,
});

/** Published versions kept in memory per process: far more than the pipelines a deployment runs. */
const VERSION_CACHE_SIZE = 500;

const versionId = (key: string, version: number) => `${key}@${version}`;

interface Catalogue {
  pipelines: Array<{ key: string; status: PipelineStatus; objectType: string; newestVersion?: number }>;
  /** One entry per draft and per published version. */
  objectTypes: Array<{ key: string; objectType: string; stageField: string }>;
}

/** Pipeline drafts and their immutable published versions. */
export function pipelineStore(db: Db) {
  const pipelines = db.collection<PipelineDoc>(COLLECTIONS.pipelines);
  const versions = db.collection<VersionDoc>(COLLECTIONS.pipelineVersions);
  const versionCache = new LRUCache<string, PipelineVersion>({ max: VERSION_CACHE_SIZE });

  /**
   * What triggers and record writes ask of every pipeline: its status and
   * object type, each version's number and stage field. Held per process
   * until a pipeline changes; definitions come from `getVersion`'s cache.
   */
  const changes = revision(db, COLLECTIONS.pipelines);
  const catalogue = changes.cached(async (): Promise<Catalogue> => {
    const [drafts, published] = await Promise.all([
      pipelines.find({}, { projection: { status: 1, 'draft.objectType': 1, 'draft.stageField': 1 } }).toArray(),
      versions.find({}, { projection: { pipelineKey: 1, version: 1, 'definition.objectType': 1, 'definition.stageField': 1 } }).toArray(),
    ]);
    const newest = new Map<string, number>();
    for (const v of published) newest.set(v.pipelineKey, Math.max(v.version, newest.get(v.pipelineKey) ?? 0));
    return {
      pipelines: drafts.map((d) => ({ key: d._id, status: d.status, objectType: d.draft.objectType, newestVersion: newest.get(d._id) })),
      objectTypes: [
        ...drafts.map((d) => ({ key: d._id, objectType: d.draft.objectType, stageField: d.draft.stageField })),
        ...published.map((v) => ({ key: v.pipelineKey, objectType: v.definition.objectType, stageField: v.definition.stageField })),
      ],
    };
  });

  /** The number of the newest published version of `key`, read from the versions themselves (the truth on FerretDB). */
  const newestVersionNumber = async (key: string): Promise<number | undefined> => {
    const doc = await versions.find({ pipelineKey: key }, { projection: { version: 1 } }).sort({ version: -1 }).limit(1).next();
    return doc?.version;
  };

  /** Published versions never change, so each is read from MongoDB once per process. */
  async function getVersion(key: string, version: number): Promise<PipelineVersion | undefined> {
    const id = versionId(key, version);
    const cached = versionCache.get(id);
    if (cached) return cached;
    const doc = await versions.findOne({ _id: id });
    if (!doc) return undefined;
    const found = toVersion(doc);
    versionCache.set(id, found);
    return found;
  }

  const update = async (key: string, $set: Partial<PipelineDoc>, extra: object = {}) => {
    const doc = await pipelines.findOneAndUpdate({ _id: key }, { $set, ...extra }, { returnDocument: 'after' });
    if (!doc) return undefined;
    await changes.changed();
    return toPipeline(doc);
  };

  return {
    /** Throws PipelineExistsError when the key is taken. */
    async createDraft(def: PipelineDefinition, actorId: string, now: string): Promise<StoredPipeline> {
      const doc: PipelineDoc = {
        _id: def.key,
        draft: def,
        status: 'draft',
        latestVersion: 0,
        createdAt: now,
        updatedAt: now,
        createdBy: actorId,
        updatedBy: actorId,
      };
      try {
        await pipelines.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new PipelineExistsError(def.key);
        throw err;
      }
      await changes.changed();
      return toPipeline(doc);
    },

    /** Published versions live in their own documents, so editing the draft never touches them. */
    async replaceDraft(key: string, def: PipelineDefinition, actorId: string, now: string): Promise<StoredPipeline | undefined> {
      return update(key, { draft: def, updatedAt: now, updatedBy: actorId });
    },

    async get(key: string): Promise<StoredPipeline | undefined> {
      const doc = await pipelines.findOne({ _id: key });
      return doc ? toPipeline(doc) : undefined;
    },

    async list(): Promise<StoredPipeline[]> {
      return (await pipelines.find({}).sort({ _id: 1 }).toArray()).map(toPipeline);
    },

    /**
     * Freezes the current draft as the next version. The unique (pipelineKey,
     * version) index arbitrates two concurrent publishes: the loser gets a
     * duplicate key and retries once past the newest stored version.
     */
    async publish(key: string, actorId: string, now: string): Promise<PipelineVersion | undefined> {
      const current = await pipelines.findOne({ _id: key });
      if (!current) return undefined;
      const insert = async (version: number): Promise<VersionDoc> => {
        const doc: VersionDoc = { _id: versionId(key, version), pipelineKey: key, version, definition: withDefaults(current.draft), publishedAt: now, publishedBy: actorId };
        await versions.insertOne(doc);
        return doc;
      };
      let doc: VersionDoc;
      try {
        doc = await insert(current.latestVersion + 1);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        doc = await insert(((await newestVersionNumber(key)) ?? current.latestVersion) + 1);
      }
      // $max: a slower concurrent publish must not move latestVersion back.
      await update(key, { status: 'published', updatedAt: now, updatedBy: actorId }, { $max: { latestVersion: doc.version } });
      return toVersion(doc);
    },

    /** New instances stop starting; running ones keep their version. Publishing again re-enables. */
    async disable(key: string, actorId: string, now: string): Promise<StoredPipeline | undefined> {
      return update(key, { status: 'disabled', updatedAt: now, updatedBy: actorId });
    },

    getVersion,

    /** What a new instance runs; undefined when the pipeline is disabled or was never published. */
    async latestPublished(key: string): Promise<PipelineVersion | undefined> {
      const pipeline = (await catalogue()).pipelines.find((p) => p.key === key);
      if (pipeline?.status !== 'published' || pipeline.newestVersion === undefined) return undefined;
      // The versions collection, not latestVersion, is the truth: FerretDB updates are not atomic.
      return getVersion(key, pipeline.newestVersion);
    },

    /** The newest published version of every enabled pipeline for this object type (what triggers consider). */
    async publishedFor(objectType: string): Promise<PipelineVersion[]> {
      const live = (await catalogue()).pipelines.filter((p) => p.objectType === objectType && p.status === 'published');
      const newest = await Promise.all(live.map((p) => (p.newestVersion === undefined ? undefined : getVersion(p.key, p.newestVersion))));
      return newest.filter((v): v is PipelineVersion => v !== undefined && v.objectType === objectType);
    },

    /** Stage fields of every pipeline on this object type, draft or published: only moves may write them. */
    async stageFieldsFor(objectType: string): Promise<string[]> {
      const { objectTypes } = await catalogue();
      return [...new Set(objectTypes.filter((t) => t.objectType === objectType).map((t) => t.stageField))];
    },

    /** Keys of every pipeline whose draft or some published version runs on this object type: those that can hold its records. */
    async keysFor(objectType: string): Promise<string[]> {
      const { objectTypes } = await catalogue();
      return [...new Set(objectTypes.filter((t) => t.objectType === objectType).map((t) => t.key))].sort();
    },

    /**
     * The enabled (published) pipelines on this object type, with their stage
     * fields: read from the pipelines themselves, not the per-process catalogue,
     * so a publish checks against what another process just enabled. Without
     * transactions two publishes racing for one field can both pass; the window
     * is one read and one write wide.
     */
    async enabledOn(objectType: string): Promise<StageFieldClaim[]> {
      const docs = await pipelines
        .find({ status: 'published', 'draft.objectType': objectType }, { projection: { 'draft.objectType': 1, 'draft.stageField': 1 } })
        .toArray();
      return docs.map((d) => ({ key: d._id, objectType: d.draft.objectType, stageField: d.draft.stageField }));
    },

    /** Newest first. */
    async listVersions(key: string): Promise<VersionSummary[]> {
      const docs = await versions.find({ pipelineKey: key }).sort({ version: -1 }).toArray();
      return docs.map((d) => ({ key, version: d.version, name: d.definition.name, publishedAt: d.publishedAt, publishedBy: d.publishedBy }));
    },
  };
}

export type PipelineStore = ReturnType<typeof pipelineStore>;
