import { LRUCache } from 'lru-cache';
import type { Db } from 'mongodb';
import type { PipelineDefinition, PipelineVersion } from '../../workflows/domain/types';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

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

/** Pipeline drafts and their immutable published versions. */
export function pipelineStore(db: Db) {
  const pipelines = db.collection<PipelineDoc>(COLLECTIONS.pipelines);
  const versions = db.collection<VersionDoc>(COLLECTIONS.pipelineVersions);
  const versionCache = new LRUCache<string, PipelineVersion>({ max: VERSION_CACHE_SIZE });

  /** The number of the newest published version of `key`: the definition itself comes from `getVersion`'s cache. */
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

  const newestVersion = async (key: string): Promise<PipelineVersion | undefined> => {
    const version = await newestVersionNumber(key);
    return version === undefined ? undefined : getVersion(key, version);
  };

  const update = async (key: string, $set: Partial<PipelineDoc>, extra: object = {}) => {
    const doc = await pipelines.findOneAndUpdate({ _id: key }, { $set, ...extra }, { returnDocument: 'after' });
    return doc ? toPipeline(doc) : undefined;
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
      const pipeline = await pipelines.findOne({ _id: key });
      if (pipeline?.status !== 'published') return undefined;
      // The versions collection, not latestVersion, is the truth: FerretDB updates are not atomic.
      return newestVersion(key);
    },

    /** Stage fields of every pipeline on this object type, draft or published: only moves may write them. */
    /** The newest published version of every enabled pipeline for this object type (what triggers consider). */
    async publishedFor(objectType: string): Promise<PipelineVersion[]> {
      const live = await pipelines.find({ 'draft.objectType': objectType, status: 'published' }).toArray();
      const newest = await Promise.all(live.map((p) => newestVersion(p._id)));
      return newest.filter((v): v is PipelineVersion => v !== undefined && v.objectType === objectType);
    },

    async stageFieldsFor(objectType: string): Promise<string[]> {
      const [drafts, published] = await Promise.all([
        // Only the stage field of each: definitions are large, and a record create reads this every time.
        pipelines.find({ 'draft.objectType': objectType }, { projection: { 'draft.stageField': 1 } }).toArray(),
        versions.find({ 'definition.objectType': objectType }, { projection: { 'definition.stageField': 1 } }).toArray(),
      ]);
      return [...new Set([...drafts.map((d) => d.draft.stageField), ...published.map((v) => v.definition.stageField)])];
    },

    /** Newest first. */
    async listVersions(key: string): Promise<VersionSummary[]> {
      const docs = await versions.find({ pipelineKey: key }).sort({ version: -1 }).toArray();
      return docs.map((d) => ({ key, version: d.version, name: d.definition.name, publishedAt: d.publishedAt, publishedBy: d.publishedBy }));
    },
  };
}

export type PipelineStore = ReturnType<typeof pipelineStore>;
