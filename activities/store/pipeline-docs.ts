import type { PipelineDefinition, PipelineVersion } from '../../workflows/domain/types';
import type { Doc } from './collections';

/**
 * How pipelines are stored: the shapes and ids of their documents and how a
 * document reads back, shared by the store and the upgrade of older data.
 */

export type PipelineStatus = 'draft' | 'published' | 'disabled';

export interface StoredPipeline {
  /** The owning company: keys are unique within it, and its records run only its pipelines. */
  companyId: string;
  key: string;
  draft: PipelineDefinition;
  status: PipelineStatus;
  /** 0 until the first publish. */
  latestVersion: number;
  /** Adopted from before companies owned pipelines: its older instances have ids without the company. */
  globalIds?: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
  /** The document's own version, changed by every write (its ETag); not a published version number. */
  revision?: number;
}

/** As found in MongoDB: definitions stored before the multiple-runs toggle existed lack the field. */
type StoredDefinition = Omit<PipelineDefinition, 'multipleRuns'> & { multipleRuns?: boolean };
export type PipelineFields = Omit<StoredPipeline, 'companyId' | 'key' | 'draft' | 'revision'> & { draft: StoredDefinition; version?: number };
export type VersionFields = { pipelineKey: string; version: number; definition: StoredDefinition; publishedAt: string; publishedBy: string };
export type PipelineDoc = Doc<PipelineFields & { companyId: string; key: string }>;
export type VersionDoc = Doc<VersionFields & { companyId: string }>;

/** Those older pipelines ran one instance per contact, so a missing toggle means off (seed 002); new ones default to on in the API. */
export const withDefaults = (def: StoredDefinition): PipelineDefinition => ({ ...def, multipleRuns: def.multipleRuns ?? false });

export const toPipeline = ({ _id: _, draft, version, ...rest }: PipelineDoc): StoredPipeline => ({ ...rest, draft: withDefaults(draft), revision: version ?? 1 });

export const toVersion = (doc: VersionDoc): PipelineVersion => ({
  ...withDefaults(doc.definition),
  version: doc.version,
  publishedAt: doc.publishedAt,
});

export const pipelineId = (companyId: string, key: string) => `${companyId}/${key}`;
export const versionId = (companyId: string, key: string, version: number) => `${pipelineId(companyId, key)}@${version}`;
