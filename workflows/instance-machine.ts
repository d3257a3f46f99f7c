import {
  backLinkField,
  checkCaller,
  checkMove,
  checkReactivation,
  checkTaskCompletion,
  computeDeadline,
  findStage,
  initialStage,
  isTerminalStage,
  markFired,
  planStageEntry,
} from './domain';
import { completeTask, foldDoneTasks } from './domain/tasks';
import { SELF_WRITER, SYSTEM_ACTOR, type Actor, type Check, type InstanceState, type MoveRequest, type PipelineVersion, type RecordView, type RefusalCode, type StageVisit, type TaskState } from './domain/types';
import type { CompleteTaskInput, MoveInput } from './messages';
import { buildTransition, changeRecord, linkedRecord, type EntryOptions, type StepExtra } from './instance-step';
import type { StepWritten, Transition, TransitionKind } from './transition';
import type { StoredRecordInput } from './trigger-types';

/** The state keeps the most recent stage visits; the full trail is the `events` collection. */
export const MAX_HISTORY_IN_STATE = 100;

export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

function unwrap<T>(check: Check<T>): T {
  if (!check.ok) throw new Refusal(check.code, check.message, check.details);
  return check.value;
}

/**
 * The logic of one pipeline instance, free of Temporal calls: each `plan*`
 * method validates a request against the pure rules and returns the writes and
 * the next state; the workflow runs the writes through an activity and then
 * `commit`s. Refusals are thrown as `Refusal`s.
 */
export interface MachineOptions {
  /** A run started by 1.0: each step writes the instance's whole view (see ViewChange.whole). */
  wholeViews?: boolean;
}

export class InstanceMachine {
  public state: InstanceState;

  constructor(
    readonly def: PipelineVersion,
    state: InstanceState,
    private readonly opts: MachineOptions = {},
  ) {
    this.state = { ...state, tasks: foldDoneTasks(state.tasks) };
  }

  static blank(instanceId: string, chainId: string, def: PipelineVersion, record: RecordView, opts: MachineOptions & { writesRecord?: boolean } = {}): InstanceMachine {
    const { writesRecord, ...machine } = opts;
    return new InstanceMachine(def, {
      instanceId,
      chainId,
      pipelineKey: def.key,
      pipelineName: def.name,
      version: def.version,
      objectType: def.objectType,
      recordId: record.id,
      status: 'running',
      stage: '',
      stageEnteredAt: '',
      history: [],
      tasks: [],
      record,
      seq: 0,
      ...(writesRecord ? { recordWriter: SELF_WRITER } : {}),
    }, machine);
  }

  /**
   * The key every write of a step is made with. The chain id tells apart the
   * runs of a re-initiated instance, which share the workflow id.
   */
  private eventId(seq: number): string {
    return `${this.state.instanceId}:${this.state.chainId}:${seq}`;
  }

  get started(): boolean {
    return this.state.stage !== '';
  }

  /**
   * Takes the step's next state, with what its writes answered: the record as
   * stored when its writer chose the version, and where the record's changes
   * go from now on. An instance that left the running state gave up writing
   * the record: a run that reopens it joins the record again.
   */
  commit(transition: Transition, written: Pick<StepWritten, 'record' | 'writer'> = {}): void {
    let next = transition.next;
    if (written.record) {
      // The record as its writer stored it holds what others wrote meanwhile: a date field among it moves the
      // deadline, as the step's activity computed it for the view.
      next = { ...next, record: { ...written.record, fields: { ...written.record.fields, [this.def.stageField]: next.stage } } };
      if (next.status === 'running') next.deadline = computeDeadline(this.def, next.stage, next.record, next.stageEnteredAt);
    }
    if (written.writer !== undefined) next = { ...next, recordWriter: written.writer ?? SELF_WRITER };
    if (transition.input.releasesRecord) {
      const { recordWriter: _released, ...rest } = next;
      next = rest;
    }
    this.state = next;
  }

  /** A shared record's writer workflow takes over the record: this instance's changes go through it from now on. */
  shareRecord(writer: string): RecordView | undefined {
    if (this.state.status !== 'running' || this.state.recordWriter === undefined) return undefined;
    this.state = { ...this.state, recordWriter: writer };
    return this.state.record;
  }

  private step(next: InstanceState, eventId: string, kind: TransitionKind, actor: Actor, now: string, extra: StepExtra): Transition {
    return buildTransition(this.def, this.state, next, eventId, kind, actor, now, extra, { whole: this.opts.wholeViews === true });
  }

  validateMove(actor: Actor, move: MoveRequest): void {
    unwrap(checkCaller(this.def, this.state, actor, move));
    unwrap(checkMove(this.def, this.state, actor, move));
  }

  /**
   * Enters the first stage. With `createdAt`, the record is new: the step writes
   * it whole, as the first stage leaves it, instead of changing a stored one.
   */
  planStart(actor: Actor, now: string, idempotencyKey?: string, createdAt?: string): Transition {
    const start = this.planEntry(initialStage(this.def).key, actor, now, { kind: 'started', idempotencyKey });
    if (createdAt === undefined) return start;
    const record: StoredRecordInput = { ...start.next.record, createdAt, updatedAt: createdAt };
    return { ...start, input: { ...start.input, recordsCreated: [record] } };
  }

  planMove(
    actor: Actor,
    move: MoveRequest,
    now: string,
    idempotencyKey?: string,
    extra: Pick<MoveInput, 'assignPartnerCompanyId' | 'createRecord'> & { reopen?: boolean } = {},
  ): Transition {
    if (extra.reopen) unwrap(checkReactivation(this.def, this.state, actor, move));
    else this.validateMove(actor, move);
    const created = extra.createRecord && linkedRecord(this.state.record, extra.createRecord, actor, now);
    const reassigned = extra.assignPartnerCompanyId;
    return this.planEntry(move.to, actor, now, {
      kind: 'moved',
      fields: move.fields,
      reason: move.reason,
      idempotencyKey,
      partnerCompanyId: reassigned,
      recordsCreated: created ? [created] : undefined,
      details: {
        ...(reassigned ? { partnerCompanyId: { from: this.state.record.partnerCompanyId ?? null, to: reassigned } } : {}),
        ...(created ? { createdRecord: { id: created.id, type: created.type } } : {}),
        ...(extra.reopen ? { reactivated: true } : {}),
      },
    });
  }

  /**
   * The first step of a run started to reopen a finished instance: a move out
   * of its outcome stage, checked as a reactivation (policy, then every rule of
   * the move). The state, its sequence and its trail carry on from the last run.
   */
  planReopen(input: MoveInput, now: string): Transition {
    const { actor, move, idempotencyKey, assignPartnerCompanyId, createRecord } = input;
    return this.planMove(actor, move, now, idempotencyKey, { assignPartnerCompanyId, createRecord, reopen: true });
  }

  /** A deadline moves the instance as the system, whatever the policy: the definition asked for it. */
  planDeadline(actor: Actor, now: string): Transition | undefined {
    const deadline = this.state.deadline;
    if (!deadline || this.state.status !== 'running') return undefined;
    return this.planEntry(deadline.to, actor, now, {
      kind: 'deadline_fired',
      reason: `deadline ${deadline.at} passed`,
      details: { deadlineAt: deadline.at },
    });
  }

  /** A reminder before the deadline: an audit event and its webhooks; the stage, record and deadline stay as they are. */
  planReminder(before: string, actor: Actor, now: string): Transition | undefined {
    const { deadline, reminders } = this.state;
    if (!deadline || !reminders || !reminders.armed.includes(before) || this.state.status !== 'running') return undefined;
    const seq = this.state.seq + 1;
    const next: InstanceState = { ...this.state, seq, reminders: markFired(reminders, before) };
    return this.step(next, this.eventId(seq), 'deadline_approaching', actor, now, {
      reason: `deadline ${deadline.at} in ${before}`,
      details: { stage: this.state.stage, deadlineAt: deadline.at, before, to: deadline.to },
    });
  }

  planAutoAdvance(to: string, actor: Actor, now: string): Transition {
    return this.planEntry(to, actor, now, { kind: 'auto_advanced', reason: 'required tasks done' });
  }

  /**
   * With `createRecord`, the step also writes the task's new record, linked both
   * ways (see `taskRecord`), and the record's own pipelines then start.
   */
  planTaskCompletion(
    actor: Actor,
    taskId: string,
    fields: Record<string, unknown> | undefined,
    now: string,
    idempotencyKey?: string,
    extra: Pick<CompleteTaskInput, 'createRecord'> = {},
  ): Transition {
    unwrap(checkCaller(this.def, this.state, actor));
    const { task } = unwrap(checkTaskCompletion(this.def, this.state, actor, taskId, fields, extra.createRecord));
    const seq = this.state.seq + 1;
    const eventId = this.eventId(seq);
    const created = extra.createRecord && this.taskRecord(task, extra.createRecord, actor, now);
    const set = created ? { ...fields, [created.linkField]: created.record.id } : (fields ?? {});
    const changes = Object.keys(set).length > 0;
    const record = changeRecord(this.state.record, set, {});
    const next: InstanceState = {
      ...this.state,
      seq,
      record: changes ? record.view : this.state.record,
      tasks: completeTask(this.state.tasks, task.id, now, actor.userId),
    };
    next.deadline = computeDeadline(this.def, next.stage, next.record, next.stageEnteredAt);
    return this.step(next, eventId, 'task_completed', actor, now, {
      record: changes ? record.change : undefined,
      idempotencyKey,
      recordsCreated: created ? [created.record] : undefined,
      details: {
        taskId: task.id,
        taskKey: task.key,
        ...(created ? { createdRecord: { id: created.record.id, type: created.record.type } } : {}),
      },
    });
  }

  /** A task's record is created like a move's, with a back link to this record; its id lands in the task's link field. */
  private taskRecord(task: TaskState, spec: NonNullable<CompleteTaskInput['createRecord']>, actor: Actor, now: string) {
    if (task.kind.kind !== 'create_record') throw new Refusal('not_a_create_record_task', `Task ${task.name} creates no record.`);
    const source = this.state.record;
    const fields = { ...spec.fields, [backLinkField(source.type)]: source.id };
    return { linkField: task.kind.linkField, record: linkedRecord(source, { ...spec, fields }, actor, now) };
  }

  planRecordUpdate(actor: Actor, fields: Record<string, unknown>, expectedVersion: number | undefined, now: string): Transition {
    if (this.state.status !== 'running') throw new Refusal('not_running', 'the instance is no longer running');
    if (expectedVersion !== undefined && expectedVersion !== this.state.record.version) {
      throw new Refusal('stale_version', `the record is at version ${this.state.record.version}, not ${expectedVersion}`);
    }
    if (this.def.stageField in fields) {
      throw new Refusal('stage_field', `"${this.def.stageField}" follows the stage; move the instance instead`);
    }
    const seq = this.state.seq + 1;
    const record = changeRecord(this.state.record, fields, {});
    const next: InstanceState = { ...this.state, seq, record: record.view };
    // A changed date field moves the deadline, also backwards.
    next.deadline = computeDeadline(this.def, next.stage, next.record, next.stageEnteredAt);
    return this.step(next, this.eventId(seq), 'record_updated', actor, now, {
      record: record.change,
      details: { fields: Object.keys(fields) },
    });
  }

  /**
   * Another writer changed the record (the writer of a shared record, a
   * re-fired trigger): take its values and stay in the stage. A changed date
   * field moves the deadline here too, as it does for an update made through
   * this instance; that is a step, so the instance's view shows the deadline
   * it waits for. Otherwise only the instance's copy changes.
   */
  adoptRecord(record: RecordView, now?: string): Transition | undefined {
    if (record.id !== this.state.recordId) return undefined; // another record of the contact: the instance stays bound to its own
    if (record.version < this.state.record.version) return undefined; // a late, older copy: the instance already holds newer values
    const next: InstanceState = {
      ...this.state,
      record: { ...record, fields: { ...record.fields, [this.def.stageField]: this.state.stage } },
    };
    if (next.status === 'running') next.deadline = computeDeadline(this.def, next.stage, next.record, next.stageEnteredAt);
    const before = this.state.deadline;
    const moved = before?.at !== next.deadline?.at || before?.to !== next.deadline?.to;
    if (now === undefined || !moved || next.status !== 'running') {
      this.state = next;
      return undefined;
    }
    const seq = this.state.seq + 1;
    return this.step({ ...next, seq }, this.eventId(seq), 'record_updated', SYSTEM_ACTOR, now, {
      reason: 'the record changed',
      details: { adopted: { version: record.version }, deadline: { from: before?.at ?? null, to: next.deadline?.at ?? null } },
    });
  }

  planCancel(actor: Actor, reason: string, now: string): Transition {
    if (this.state.status !== 'running') throw new Refusal('not_running', 'the instance is no longer running');
    const seq = this.state.seq + 1;
    const next: InstanceState = { ...this.state, seq, status: 'cancelled', deadline: undefined };
    return this.step(next, this.eventId(seq), 'cancelled', actor, now, { reason });
  }

  private planEntry(
    to: string,
    actor: Actor,
    now: string,
    opts: EntryOptions,
  ): Transition {
    const stage = findStage(this.def, to);
    if (!stage) throw new Refusal('unknown_stage', `"${to}" is not a stage of ${this.def.name}`);
    const seq = this.state.seq + 1;
    const eventId = this.eventId(seq);
    const withMoveFields = changeRecord(this.state.record, opts.fields ?? {}, { partnerCompanyId: opts.partnerCompanyId }).view;
    const plan = planStageEntry(this.def, to, withMoveFields, actor, now, eventId);
    const record = changeRecord(this.state.record, { ...(opts.fields ?? {}), ...plan.set, [this.def.stageField]: to }, {
      unset: plan.unset,
      archived: plan.archive,
      invite: plan.invite,
      privateFields: plan.privateFields,
      partnerCompanyId: opts.partnerCompanyId,
    });

    const visit: StageVisit = { stage: to, enteredAt: now, by: actor.userId, reason: opts.reason, eventId };
    const history = this.state.history.map((v, i, all) => (i === all.length - 1 && !v.leftAt ? { ...v, leftAt: now } : v));
    history.push(visit);

    const next: InstanceState = {
      ...this.state,
      seq,
      stage: to,
      stageEnteredAt: now,
      status: isTerminalStage(this.def, to) ? 'finished' : 'running',
      history: history.slice(-MAX_HISTORY_IN_STATE),
      tasks: [...this.state.tasks, ...plan.tasks],
      record: record.view,
    };
    next.deadline = next.status === 'running' ? computeDeadline(this.def, to, next.record, now) : undefined;
    return this.step(next, eventId, opts.kind, actor, now, {
      record: record.change,
      from: this.state.stage || undefined,
      to,
      reason: opts.reason,
      idempotencyKey: opts.idempotencyKey,
      details: opts.details && Object.keys(opts.details).length > 0 ? opts.details : undefined,
      recordsCreated: opts.recordsCreated,
    });
  }
}
