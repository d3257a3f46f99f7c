import type { Stores } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import { computeAnalytics, type Analytics, type Window } from '../analytics';
import { AppError } from '../errors';

/**
 * A pipeline's funnel over a window, for the owning company: its instances
 * as they stand, and the stage changes of their audit trail up to the
 * window's end (a visit that ends in the window may have begun before it).
 */
export function analyticsUseCase({ stores }: { stores: Stores }) {
  return async function analytics(actor: Actor, key: string, window: Window): Promise<Analytics & { pipelineKey: string; version: number | null }> {
    const company = actor.companyId ? await stores.people.getCompany(actor.companyId) : undefined;
    if (company?.kind !== 'owner') throw new AppError(403, 'forbidden', "analytics are the owning company's");
    const pipeline = await stores.pipelines.get(company.id, key);
    if (!pipeline) throw new AppError(404, 'not_found', 'pipeline not found');
    // The stages as the newest version names them; a pipeline never published shows its draft's.
    const newest = pipeline.latestVersion > 0 ? await stores.pipelines.getVersion(company.id, key, pipeline.latestVersion) : undefined;
    const [instances, events] = await Promise.all([stores.instances.standing(company.id, key), stores.events.stageChanges(key, window.to)]);
    return { pipelineKey: key, version: newest?.version ?? null, ...computeAnalytics(newest ?? pipeline.draft, instances, events, window) };
  };
}
