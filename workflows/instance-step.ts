import { findStage, newRecord } from './domain';
import type { Actor, InstanceState, PipelineVersion, RecordView } from './domain/types';
import type { MoveInput } from './messages';
import type { AuditEvent, InstanceProjection, RecordChange, Transition, TransitionKind } from './transition';
import type { StoredRecordInput } from './trigger-types';

/** What a step that enters a stage carries besides the stage: see InstanceMachine.planEntry. */
export interface EntryOptions {
  kind: TransitionKind;
  fields?: Record<string, unknown>;
  reason?: string;
  idempotencyKey?: string;
  details?: Record<string, unknown>;
  partnerCompanyId?: string;
  recordsCreated?: StoredRecordInput[];
}

export interface RecordEdit {
  unset?: string[];
  archived?: boolean;
  invite?: { users: string[]; companies: string[] };
  privateFields?: string[];
  partnerCompanyId?: string;
}

/**
 * A step's change to the record, twice: the view the next state holds, and
 * the change the activity applies. Both carry the next version, so a retried
 * activity writes the same absolute values again.
 */
export function changeRecord(current: RecordView, set: Record<string, unknown>, opts: RecordEdit): { view: RecordView; change: RecordChange } {
  const unset = opts.unset ?? [];
  // A stage effect that clears a field wins over the move's own value for it (effects come after the
  // move's fields), and one write may not both set and clear a path.
  const written = Object.fromEntries(Object.entries(set).filter(([field]) => !unset.includes(field)));
  const fields = { ...current.fields, ...written };
  for (const f of unset) delete fields[f];
  const participants = opts.invite
    ? {
        users: [...new Set([...current.participants.users, ...opts.invite.users])],
        companies: [...new Set([...current.participants.companies, ...opts.invite.companies])],
      }
    : current.participants;
  const view: RecordView = {
    ...current,
    fields,
    archived: opts.archived ?? current.archived,
    participants,
    privateFields: opts.privateFields ?? current.privateFields,
    partnerCompanyId: opts.partnerCompanyId ?? current.partnerCompanyId,
    version: current.version + 1,
  };
  const change: RecordChange = {
    set: written,
    unset,
    archived: opts.archived,
    participants: opts.invite ? participants : undefined,
    privateFields: opts.privateFields,
    partnerCompanyId: opts.partnerCompanyId,
    version: view.version,
  };
  return { view, change };
}

/** A record created by a step belongs to the same company, owner, partner and contact as the instance's own. */
export function linkedRecord(source: RecordView, spec: NonNullable<MoveInput['createRecord']>, actor: Actor, now: string): StoredRecordInput {
  return newRecord(
    {
      ...spec,
      ownerId: source.ownerId,
      creatorId: actor.userId,
      companyId: source.companyId,
      partnerCompanyId: source.partnerCompanyId,
      contactId: source.contactId,
    },
    now,
  );
}

export type StepExtra = Partial<Omit<AuditEvent, 'eventId' | 'kind' | 'actor' | 'at'>> & {
  record?: RecordChange;
  tasksCreated?: InstanceState['tasks'];
  taskCompleted?: Transition['input']['taskCompleted'];
  recordsCreated?: StoredRecordInput[];
};

/**
 * Everything one step writes, keyed by its event id: the audit event, the
 * record change, the tasks, and the instance's projection, which list pages
 * and the forecast read instead of asking each workflow.
 */
export function buildTransition(
  def: PipelineVersion,
  next: InstanceState,
  eventId: string,
  kind: TransitionKind,
  actor: Actor,
  now: string,
  extra: StepExtra,
): Transition {
  const { record, tasksCreated, taskCompleted, recordsCreated, ...event } = extra;
  return {
    next,
    actor,
    input: {
      eventId,
      recordId: next.recordId,
      record,
      event: {
        ...event,
        eventId,
        instanceId: next.instanceId,
        recordId: next.recordId,
        pipelineKey: next.pipelineKey,
        kind,
        actor: { kind: actor.kind, userId: actor.userId, companyId: actor.companyId },
        at: now,
      },
      tasksCreated: tasksCreated ?? [],
      taskCompleted,
      recordsCreated,
      instance: projection(def, next, now),
    },
  };
}

function projection(def: PipelineVersion, next: InstanceState, now: string): InstanceProjection {
  const stage = findStage(def, next.stage);
  const amount = Number(next.record.fields.amount);
  const forecast =
    Number.isFinite(amount) && next.record.fields.amount !== null && next.record.fields.amount !== ''
      ? { amount, winRate: stage?.winRate, weightedAmount: stage?.winRate === undefined ? undefined : (amount * stage.winRate) / 100 }
      : {};
  return {
    instanceId: next.instanceId,
    pipelineKey: next.pipelineKey,
    pipelineName: next.pipelineName,
    version: next.version,
    objectType: next.objectType,
    recordId: next.recordId,
    status: next.status,
    stage: next.stage,
    stageType: stage?.type ?? 'normal',
    stageEnteredAt: next.stageEnteredAt,
    deadline: next.deadline,
    ownerId: next.record.ownerId,
    companyId: next.record.companyId,
    partnerCompanyId: next.record.partnerCompanyId,
    contactId: next.record.contactId,
    ...forecast,
    seq: next.seq,
    updatedAt: now,
  };
}
