import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { PipelineVersion } from './domain/types';

/**
 * How a run's pinned version is kept in its history: the local activity that
 * loads it answers it deflated, as a binary payload, and the marker keeps that
 * (about a third of the JSON). Every replay reads the version from the marker,
 * never from MongoDB; people read versions through the API
 * (`GET /v1/pipelines/:key/versions/:version`).
 */
export function packVersion(def: PipelineVersion): Uint8Array {
  return deflateSync(strToU8(JSON.stringify(def)), { level: 9 });
}

export function unpackVersion(packed: Uint8Array): PipelineVersion {
  return JSON.parse(strFromU8(inflateSync(packed))) as PipelineVersion;
}
