import type { Stores } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import { AppError } from '../errors';

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * A pipeline's board figures: per stage of its newest published version, in order, the instances
 * it shows (running, or finished in an outcome stage), the sum of their amounts and that sum
 * weighted by each instance's stage win rate. Read from the instance views, not from a page of
 * cards, so a board's column headers are right however few cards it has loaded.
 */
export function boardUseCase({ stores }: { stores: Stores }) {
  return async function board(actor: Actor, key: string, filter: { ownerId?: string; partnerCompanyId?: string }) {
    const company = actor.companyId ? await stores.people.getCompany(actor.companyId) : undefined;
    if (company?.kind !== 'owner') throw new AppError(403, 'forbidden', "a pipeline's board is the owning company's");
    const def = await stores.pipelines.latestPublished(company.id, key);
    if (!def) throw new AppError(404, 'not_found', `no published pipeline "${key}"`);
    const rows = await stores.instances.board(company.id, key, filter);
    const figures = (stage: string) => {
      const r = rows.find((row) => row._id === stage) ?? { count: 0, amount: 0, weightedAmount: 0 };
      return { count: r.count, amount: round(r.amount), weightedAmount: round(r.weightedAmount) };
    };
    const stages = def.stages.map((s) => ({ key: s.key, name: s.name, type: s.type, winRate: s.winRate ?? null, ...figures(s.key) }));
    // Instances pinned to older versions may sit in stages the newest version dropped.
    for (const r of rows) if (!stages.some((s) => s.key === r._id)) stages.push({ key: r._id, name: r._id, type: 'normal', winRate: null, ...figures(r._id) });
    return { pipelineKey: def.key, version: def.version, ownerId: filter.ownerId ?? null, partnerCompanyId: filter.partnerCompanyId ?? null, stages };
  };
}
