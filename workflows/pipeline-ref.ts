import type { PipelineVersion } from './domain/types';

/**
 * A pinned pipeline version by reference: what starts carry instead of the
 * definition. Published versions never change, so each worker loads one once
 * and every run pins what it loaded (see pipelineVersion in the activities).
 */
export interface PipelineRef {
  companyId: string;
  key: string;
  version: number;
}

/** The reference of a version of `companyId`'s pipeline (a record runs its own company's pipelines). */
export const refOf = (companyId: string, def: Pick<PipelineVersion, 'key' | 'version'>): PipelineRef => ({
  companyId,
  key: def.key,
  version: def.version,
});
