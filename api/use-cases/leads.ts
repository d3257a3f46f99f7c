import type { Stores, StoredRecord } from '../../activities/store';
import { newId } from '../../activities/store';
import { canSeeRecord, checkStageRule, findStage, recordIdOf } from '../../workflows/domain';
import { toRecordView } from '../../activities/store/records';
import type { Actor, MoveRequest } from '../../workflows/domain/types';
import type { MoveInput } from '../../workflows/messages';
import { LEAD_STAGES, PARTNER_LEAD_KEY } from '../../workflows/domain/templates/partner-lead';
import { AppError, notFound, refusal } from '../errors';
import { linkChecks } from '../links';
import type { InstanceUseCases } from './instances';
import { partnerCompany, type RecordUseCases } from './records';

export interface LeadDeps {
  stores: Stores;
  records: RecordUseCases;
  moveInstance: InstanceUseCases['moveInstance'];
  moveRunning: InstanceUseCases['moveRunning'];
}

/** Lead fields an opportunity created from the lead starts with. */
const CARRIED_FIELDS = ['title', 'amount', 'contactName', 'contactEmail', 'contactPhone', 'company', 'industry'];

/**
 * The partner program's actions, each a move of the lead's instance (the
 * template's rules decide who may do what), plus the lead's expiration date.
 */
export function leadUseCases({ stores, records, moveInstance, moveRunning }: LeadDeps) {
  const links = linkChecks(stores);

  async function readLead(actor: Actor, leadId: string): Promise<StoredRecord> {
    const lead = await stores.records.get(leadId);
    if (!lead || lead.type !== 'lead' || !canSeeRecord(actor, lead)) throw notFound('lead');
    return lead;
  }

  /**
   * The id the lead's partner program instance has, from the pipelines each
   * process holds: no read. Only an id keyed by the lead itself: a contact's
   * instance may be bound to another of the contact's leads.
   */
  async function programInstanceId(lead: StoredRecord): Promise<string | undefined> {
    const def = await stores.pipelines.latestPublished(lead.companyId, PARTNER_LEAD_KEY);
    const id = def ? (await stores.pipelines.instanceIds(def, lead))[0] : undefined;
    return id && recordIdOf(id) === lead.id ? id : undefined;
  }

  async function leadInstance(actor: Actor, leadId: string, read?: StoredRecord) {
    const lead = read ?? (await readLead(actor, leadId));
    const all = await stores.instancesOf(lead);
    const running = all.filter((i) => i.status === 'running');
    const projection = running.find((i) => i.pipelineKey === PARTNER_LEAD_KEY) ?? running[0] ?? all[0];
    if (!projection) throw new AppError(409, 'no_instance', 'this lead is not in a partner program pipeline');
    const def = await stores.pipelines.getVersion(projection.companyId, projection.pipelineKey, projection.version);
    if (!def) throw notFound('lead');
    return { lead, projection, def };
  }

  type Found = Awaited<ReturnType<typeof leadInstance>>;

  /**
   * A move of the lead's instance. The program's running instance is asked at
   * once, under the id it has; only when it is not there (its run closed, an
   * instance of another pipeline, an id from before companies owned
   * pipelines) are the lead's instances looked up. With `found`, the lead and
   * its instance as the caller already read them.
   */
  async function move(actor: Actor, leadId: string, move: MoveRequest, key: string | undefined, extra: Partial<MoveInput> = {}, found?: Found | { lead: StoredRecord }) {
    const request = { actor, move, idempotencyKey: key, ...extra };
    const lead = found?.lead ?? (await readLead(actor, leadId));
    if (!found || !('projection' in found)) {
      const id = await programInstanceId(lead);
      const moved = id ? await moveRunning(id, request) : undefined;
      if (moved) return moved;
    }
    const { projection, def } = found && 'projection' in found ? found : await leadInstance(actor, leadId, lead);
    // A declined or expired lead's run has completed: reassigning it reopens the instance in a new run.
    return moveInstance(def, projection, request);
  }

  return {
    accept: (actor: Actor, id: string, key?: string) => move(actor, id, { to: LEAD_STAGES.accepted }, key),

    decline: (actor: Actor, id: string, reason: string, key?: string) =>
      move(actor, id, { to: LEAD_STAGES.declined, reason, fields: { declineReason: reason } }, key),

    close: (actor: Actor, id: string, reason: string, key?: string) =>
      move(actor, id, { to: LEAD_STAGES.notConverted, reason, fields: { closeReason: reason } }, key),

    async convert(actor: Actor, id: string, body: { opportunityId?: string; opportunity?: { fields: Record<string, unknown> } }, key?: string) {
      // The lead first: a caller who may not see it gets 404, whatever opportunity it names.
      const lead = await readLead(actor, id);
      const found = { lead };
      if (body.opportunityId) {
        await links.check(actor, lead.companyId, { field: 'opportunityId', id: body.opportunityId, type: 'opportunity' });
        return move(actor, id, { to: LEAD_STAGES.converted, fields: { opportunityId: body.opportunityId } }, key, {}, found);
      }
      await links.fields(actor, lead.companyId, body.opportunity?.fields);
      const carried = Object.fromEntries(CARRIED_FIELDS.filter((f) => lead.fields[f] !== undefined).map((f) => [f, lead.fields[f]]));
      const opportunityId = newId('opp');
      // The opportunity is written by the same durable step that moves the lead.
      return move(actor, id, { to: LEAD_STAGES.converted, fields: { opportunityId } }, key, {
        createRecord: { id: opportunityId, type: 'opportunity', fields: { ...carried, ...body.opportunity?.fields, sourceLeadId: lead.id } },
      }, found);
    },

    async reassign(actor: Actor, id: string, partnerCompanyId: string, key?: string) {
      const found = await leadInstance(actor, id);
      // Who may send the lead back to Pending is asked first: a caller the rule refuses (a partner)
      // learns nothing of which companies are in the owner's program.
      const pending = findStage(found.def, LEAD_STAGES.pending);
      const allowed = checkStageRule(pending, 'enter', `move into ${pending?.name}`, actor, toRecordView(found.lead));
      if (!allowed.ok) throw refusal(allowed.code, allowed.message, allowed.details);
      // Into the lead's owning company's program only, checked before anything moves.
      const partner = await partnerCompany(stores, partnerCompanyId, found.lead.companyId);
      const cleared = { expiresAt: null, acceptedAt: null, acceptedBy: null, declinedAt: null, declineReason: null, expiredAt: null };
      return move(actor, id, { to: LEAD_STAGES.pending, reason: `reassigned to ${partner.name}`, fields: cleared }, key, {
        assignPartnerCompanyId: partner.id,
      }, found);
    },

    /** Only the sourcing company edits the lead; the instance moves its deadline. */
    async setExpiration(actor: Actor, id: string, expiresAt: string) {
      await leadInstance(actor, id);
      return records.update(actor, 'lead', id, { expiresAt });
    },
  };
}
