import type { InstanceProjection, Stores } from '../../activities/store';
import type { Actor, PipelineVersion } from '../../workflows/domain/types';
import { presentListed } from './present';

/**
 * Instances in the Instance shape, as lists answer them. Their stages' names,
 * types and win rates come from the versions they are pinned to: one
 * getVersion per (company, key, version) of the batch, cached per process, so
 * a page costs no MongoDB command per item (capacity counts commands).
 */
export async function presentListedAll(stores: Pick<Stores, 'pipelines'>, views: readonly InstanceProjection[], actor: Actor) {
  const refOf = (v: InstanceProjection) => JSON.stringify([v.companyId, v.pipelineKey, v.version]);
  const refs = new Map(views.map((v) => [refOf(v), v] as const));
  const defs = new Map<string, PipelineVersion | undefined>(
    await Promise.all([...refs].map(async ([ref, v]) => [ref, await stores.pipelines.getVersion(v.companyId, v.pipelineKey, v.version)] as const)),
  );
  return views.map((v) => presentListed(defs.get(refOf(v)), v, actor));
}
