import type { Stores } from '../../activities/store';
import { findStage } from '../../workflows/domain';
import type { Actor } from '../../workflows/domain/types';
import { AppError } from '../errors';

const round = (n: number) => Math.round(n * 100) / 100;

/** The weighted value of open opportunities: amount × win rate of the current stage. */
export function forecastUseCase({ stores }: { stores: Stores }) {
  return async function forecast(actor: Actor, query: { pipelineKey: string; ownerId?: string }) {
    const company = actor.companyId ? await stores.people.getCompany(actor.companyId) : undefined;
    if (company?.kind !== 'owner') throw new AppError(403, 'forbidden', 'the forecast is for the owning company');
    const def = await stores.pipelines.latestPublished(company.id, query.pipelineKey);
    if (!def) throw new AppError(404, 'not_found', `no published pipeline "${query.pipelineKey}"`);
    const { byStage, byOwner } = await stores.instances.forecast(company.id, query.pipelineKey, query.ownerId);
    const row = (r: { count: number; amount: number; weightedAmount: number }) => ({
      count: r.count,
      amount: round(r.amount),
      weightedAmount: round(r.weightedAmount),
    });
    const stageRows = def.stages
      .filter((s) => s.type === 'normal')
      .map((s) => {
        const found = byStage.find((r) => r._id === s.key);
        return { stage: s.key, name: s.name, winRate: s.winRate ?? null, ...row(found ?? { count: 0, amount: 0, weightedAmount: 0 }) };
      });
    // Instances pinned to older versions may sit in stages the newest version dropped.
    for (const r of byStage) {
      if (!findStage(def, r._id)) stageRows.push({ stage: r._id, name: r._id, winRate: null, ...row(r) });
    }
    const total = stageRows.reduce(
      (t, r) => ({ count: t.count + r.count, amount: round(t.amount + r.amount), weightedAmount: round(t.weightedAmount + r.weightedAmount) }),
      { count: 0, amount: 0, weightedAmount: 0 },
    );
    return {
      pipelineKey: def.key,
      ownerId: query.ownerId ?? null,
      total,
      byStage: stageRows,
      byOwner: byOwner.map((r) => ({ ownerId: r._id, ...row(r) })).sort((a, b) => b.weightedAmount - a.weightedAmount),
    };
  };
}
