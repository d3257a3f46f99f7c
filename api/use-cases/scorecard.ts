import type { Stores } from '../../activities/store';
import { LEAD_STAGES } from '../../workflows/domain/templates/partner-lead';
import type { Actor } from '../../workflows/domain/types';
import type { Window } from '../analytics';
import { AppError } from '../errors';
import { computeScorecard, type PartnerRow } from '../scorecard';

export interface Scorecard {
  pipelineKey: string;
  window: Window;
  /** One owner's program per entry: the owner itself asks about its own; a partner sees its row in each program it is in. */
  programs: Array<{ ownerCompanyId: string; partners: PartnerRow[] }>;
}

/**
 * The partner scorecard of a Partner lead pipeline, from the analytics rollup.
 * The owning company's admins and sales see every partner of their program; a
 * partner company's users see only their own company's row, in each owner's
 * program they are in (never another partner's, nor anything of the owner's
 * records but these counts).
 */
export function scorecardUseCase({ stores }: { stores: Stores }) {
  return async function scorecard(actor: Actor, pipelineKey: string, window: Window): Promise<Scorecard> {
    const company = actor.companyId ? await stores.people.getCompany(actor.companyId) : undefined;
    if (!company || company.kind === 'platform') throw new AppError(403, 'forbidden', 'the scorecard is for companies in a partner program');
    const owners = company.kind === 'owner' ? [company.id] : (company.programs ?? []);
    const programs = await Promise.all(
      owners.map(async (ownerCompanyId) => {
        const pipeline = await stores.pipelines.get(ownerCompanyId, pipelineKey);
        if (!pipeline) return undefined;
        const { facts } = await stores.rollup.read(ownerCompanyId, pipelineKey, window);
        const rows = computeScorecard(facts, LEAD_STAGES, window);
        return { ownerCompanyId, partners: company.kind === 'owner' ? rows : rows.filter((r) => r.partnerCompanyId === company.id) };
      }),
    );
    const found = programs.filter((p) => p !== undefined);
    if (company.kind === 'owner' && found.length === 0) throw new AppError(404, 'not_found', 'pipeline not found');
    return { pipelineKey, window, programs: found };
  };
}
