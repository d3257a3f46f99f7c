import { newRecord, unionParticipants } from './domain';
import { SELF_WRITER, type Actor, type InstanceState, type PipelineVersion, type RecordView } from './domain/types';
import type { MoveInput } from './messages';
import { refOf } from './pipeline-ref';
import type { RecordChange, RecordRoute, StepEvent, Transition, TransitionKind, ViewChange } from './transition';
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
  const participants = opts.invite ? unionParticipants(current.participants, opts.invite) : current.participants;
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

export type StepExtra = Partial<Omit<StepEvent, 'kind' | 'actor' | 'at'>> & {
  record?: RecordChange;
  recordsCreated?: StoredRecordInput[];
};

/** How the workflow asks for a step to be written; see InstanceMachine's options. */
export interface StepContext {
  /** A run started by 1.0: every step writes the whole view (see ViewChange.whole). */
  whole: boolean;
}

const numeric = (value: unknown): number | undefined => {
  if (value === null || value === '' || value === undefined || typeof value === 'boolean') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * What the step changes in the instance's view, read off the state before and
 * after it: the visit it began, the tasks it created, completed or folded
 * away, and the scalars. Derived here, once, so no plan can forget a part of it.
 */
export function viewChange(prev: InstanceState, next: InstanceState, ctx: StepContext): ViewChange {
  const kept = new Set(next.history.map((v) => v.eventId));
  const last = next.history.at(-1);
  const entered = last && !prev.history.some((v) => v.eventId === last.eventId) ? last : undefined;
  const before = new Map(prev.tasks.map((t) => [t.id, t]));
  const after = new Set(next.tasks.map((t) => t.id));
  const created = next.tasks.filter((t) => !before.has(t.id));
  const done = next.tasks.find((t) => t.status === 'done' && before.get(t.id)?.status === 'open');
  const dropped = prev.tasks.filter((t) => !after.has(t.id)).map((t) => t.id);
  const { ownerId, partnerCompanyId, contactId } = next.record;
  const amount = numeric(next.record.fields.amount);
  return {
    seq: next.seq,
    status: next.status,
    stage: next.stage,
    stageEnteredAt: next.stageEnteredAt,
    ...(next.deadline ? { deadline: next.deadline } : {}),
    ...(next.reminders ? { reminders: next.reminders } : {}),
    ...(entered ? { entered: true as const } : {}),
    ...(prev.history.filter((v) => !kept.has(v.eventId)).map((v) => ({ droppedVisit: v.eventId }))[0] ?? {}),
    ...(created.length > 0 ? { tasksCreated: created } : {}),
    ...(done ? { taskDone: { id: done.id, doneAt: done.doneAt, doneBy: done.doneBy } } : {}),
    ...(dropped.length > 0 ? { tasksDropped: dropped } : {}),
    ...(amount !== undefined ? { amount } : {}),
    parties: { ownerId, ...(partnerCompanyId ? { partnerCompanyId } : {}), ...(contactId ? { contactId } : {}) },
    ...(prev.stage === '' ? { chainStart: true } : {}),
    ...(ctx.whole ? { whole: { history: next.history, tasks: next.tasks } } : {}),
  };
}

/**
 * Everything one step writes, keyed by its event id: the audit event, the
 * record change, the records it creates, and the change to the instance's
 * view, which every read of the instance uses instead of asking its workflow.
 */
export function buildTransition(
  def: PipelineVersion,
  prev: InstanceState,
  next: InstanceState,
  eventId: string,
  kind: TransitionKind,
  actor: Actor,
  now: string,
  extra: StepExtra,
  ctx: StepContext,
): Transition {
  const { record, recordsCreated, ...event } = extra;
  const finishing = prev.status === 'running' && next.status !== 'running';
  const writer = prev.recordWriter;
  const route: RecordRoute | undefined = writer === undefined ? { join: true } : writer === SELF_WRITER ? undefined : { via: writer };
  return {
    next,
    actor,
    input: {
      eventId,
      recordId: next.recordId,
      pipeline: refOf(next.record.companyId, def),
      ...(record ? { record } : {}),
      ...(record && route ? { route } : {}),
      ...(finishing ? { releasesRecord: true } : {}),
      event: { ...event, kind, actor: { kind: actor.kind, userId: actor.userId, companyId: actor.companyId }, at: now },
      view: viewChange(prev, next, ctx),
      ...(recordsCreated ? { recordsCreated } : {}),
    },
  };
}
