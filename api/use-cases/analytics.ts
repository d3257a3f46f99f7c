import type { Stores } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import type { Analytics, Window } from '../analytics';
import { analyticsFromFacts } from '../analytics-facts';
import { AppError } from '../errors';

/**
 * A pipeline's funnel over a window, for the owning company: from the
 * analytics rollup's facts dated in the window (each remembers what it needs
 * of its instance's older history) and where the instances stand.
 */
export function analyticsUseCase({ stores }: { stores: Stores }) {
  return async function analytics(actor: Actor, key: string, window: Window): Promise<Analytics & { pipelineKey: string; version: number | null }> {
    const company = actor.companyId ? await stores.people.getCompany(actor.companyId) : undefined;
    if (company?.kind !== 'owner') throw new AppError(403, 'forbidden', "analytics are the owning company's");
    const pipeline = await stores.pipelines.get(company.id, key);
    if (!pipeline) throw new AppError(404, 'not_found', 'pipeline not found');
    // The stages as the newest version names them; a pipeline never published shows its draft's.
    const newest = pipeline.latestVersion > 0 ? await stores.pipelines.getVersion(company.id, key, pipeline.latestVersion) : undefined;
    const { facts, standing } = await stores.rollup.read(company.id, key, window);
    return { pipelineKey: key, version: newest?.version ?? null, ...analyticsFromFacts(newest ?? pipeline.draft, facts, standing, window) };
  };
}
