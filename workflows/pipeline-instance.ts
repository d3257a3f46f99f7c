import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { armReminders, autoAdvanceTarget, nextReminder, stageHasReminders, timerStep, type DueReminder } from './domain';
import { SYSTEM_ACTOR, type InstanceState, type PipelineVersion } from './domain/types';
import { InstanceMachine, Refusal } from './instance-machine';
import { instanceMemo } from './instance-summary';
import {
  cancelUpdate,
  completeTaskUpdate,
  moveUpdate,
  recordChangedSignal,
  shareRecordUpdate,
  startedUpdate,
  stateQuery,
  updateRecordUpdate,
  type MutationResult,
  type PipelineInstanceInput,
} from './messages';
import { fingerprint } from './fingerprint';
import { refOf } from './pipeline-ref';
import { heldSearchAttributes, holds, instanceSearchAttributes } from './search-attributes';
import { ChildStarts, loadPipeline, startLinked, writeStep } from './step-writer';
import type { Transition } from './transition';
import { WakeTimer } from './wake-timer';
import { startWebhookDeliveries } from './webhook-deliveries';

/** Continue-as-new well before the server's limits (4,096 events suggested, 2,000 updates per run). */
const MAX_UPDATES_PER_RUN = 500;

/** What a run answers when it completes: the instance's view in MongoDB holds the rest. */
export interface InstanceOutcome {
  instanceId: string;
  status: InstanceState['status'];
  stage: string;
  seq: number;
  /** The final state's fingerprint, for the golden replay (see fingerprint.ts). */
  digest: string;
}

/** A refusal crosses to the caller as a non-retryable failure whose type is the refusal code. */
function asFailure(err: unknown): unknown {
  if (!(err instanceof Refusal)) return err;
  return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, ...(err.details ? { details: [err.details] } : {}) });
}

/**
 * Update validators answer from the current state. Before the first stage is
 * entered there is nothing to check against yet, so the update is accepted and
 * its handler checks again once it reaches the front of the queue.
 */
function validated(machine: InstanceMachine | undefined, check: (machine: InstanceMachine) => void): void {
  if (!machine?.started) return;
  try {
    check(machine);
  } catch (err) {
    throw asFailure(err);
  }
}

/**
 * One pipeline instance: a record moving through the stages of one pinned
 * pipeline version. Every change goes through a single queue so that exactly
 * one mutation runs at a time; moves and task completions are updates whose
 * validators run the pure rules, so a refused move leaves no trace in history.
 *
 * A run started by 1.0 carries its definition in its input: it keeps 1.0's
 * ways where they decide what goes into history (a timer per wake, a record
 * signal taken at once), so its recorded history replays, until it continues
 * as new on this version's terms.
 */
export async function pipelineInstance(input: PipelineInstanceInput): Promise<InstanceOutcome> {
  const legacy = input.definition !== undefined;
  // Set once the pinned version is loaded; the handlers, registered before that, read it when they run.
  // eslint-disable-next-line prefer-const
  let machine: InstanceMachine | undefined;
  const queue: Array<() => Promise<void>> = [];
  const children = new ChildStarts();
  let updatesThisRun = 0;
  let wakeups = 0;
  const m = () => machine!;

  const now = () => new Date(Date.now()).toISOString();

  async function apply(transition: Transition): Promise<MutationResult> {
    const step = transition.input;
    // The instance's own record, when its first step created it, runs this instance; any other runs its own pipelines.
    const linked = (step.recordsCreated ?? []).filter((r) => r.id !== step.recordId);
    const written = await writeStep(linked.length > 0 ? { ...step, startLinkedAs: transition.actor } : step);
    m().commit(transition, written);
    publish();
    // What 1.0's activity answered for the workflow to start itself; this version's activity starts both.
    if (written.deliveries?.length) children.track(startWebhookDeliveries(step.eventId, written.deliveries));
    if (written.linked) for (const { id } of linked) children.track(startLinked(id, written.linked.find((l) => l.record.id === id), transition.actor));
    // The SDK adds workflowId and runId to the line, and drops it on replay.
    const { kind, from, to, actor } = step.event;
    log.info('step applied', { kind, from, to, actor: actor.userId, eventId: step.eventId });
    return { eventId: step.eventId, seq: m().state.seq };
  }

  /** Runs `plan` and its writes after every mutation queued before it. */
  function enqueue(plan: () => Transition): Promise<MutationResult> {
    updatesThisRun++;
    return new Promise((resolve, reject) => {
      queue.push(async () => {
        let transition: Transition;
        try {
          transition = plan();
        } catch (err) {
          reject(asFailure(err));
          return;
        }
        resolve(await apply(transition));
      });
    });
  }

  /**
   * Keeps the search attributes in step with the state. Each upsert is an event
   * and a visibility write on the server, so the run writes only those that
   * changed (its starter set the first ones), and none when nothing did.
   */
  function publish(): void {
    const changed = instanceSearchAttributes(m().def, m().state).filter((pair) => !holds(workflowInfo().typedSearchAttributes, pair));
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  // A run that reopens a finished instance answers its starter once the reopening step is taken, or refused.
  let reopening = input.reopen !== undefined && input.state?.status === 'finished';
  let reopenRefused: unknown;
  let firstStep: MutationResult | undefined;

  setHandler(stateQuery, () => m().state);
  setHandler(startedUpdate, async () => {
    await condition(() => machine !== undefined && machine.started && !reopening);
    if (reopenRefused) throw reopenRefused;
    return firstStep ?? { eventId: m().state.history.at(-1)?.eventId ?? '', seq: m().state.seq };
  });
  setHandler(
    moveUpdate,
    ({ actor, move, idempotencyKey, assignPartnerCompanyId, createRecord }) =>
      enqueue(() => m().planMove(actor, move, now(), idempotencyKey, { assignPartnerCompanyId, createRecord })),
    { validator: ({ actor, move }) => validated(machine, (mc) => mc.validateMove(actor, move)) },
  );
  setHandler(
    completeTaskUpdate,
    ({ actor, taskId, fields, idempotencyKey, createRecord }) =>
      enqueue(() => m().planTaskCompletion(actor, taskId, fields, now(), idempotencyKey, { createRecord })),
    {
      validator: ({ actor, taskId, fields, createRecord }) =>
        validated(machine, (mc) => mc.planTaskCompletion(actor, taskId, fields, now(), undefined, { createRecord })),
    },
  );
  setHandler(
    updateRecordUpdate,
    ({ actor, fields, expectedVersion }) => enqueue(() => m().planRecordUpdate(actor, fields, expectedVersion, now())),
    {
      validator: ({ actor, fields, expectedVersion }) =>
        validated(machine, (mc) => mc.planRecordUpdate(actor, fields, expectedVersion, now())),
    },
  );
  setHandler(cancelUpdate, ({ actor, reason }) => enqueue(() => m().planCancel(actor, reason, now())), {
    validator: ({ actor, reason }) => validated(machine, (mc) => mc.planCancel(actor, reason, now())),
  });
  // In the queue, so no step is writing while the record's writer takes over (see record-writer.ts).
  setHandler(shareRecordUpdate, ({ writer }) => {
    updatesThisRun++;
    return new Promise((resolve) => queue.push(async () => resolve(m().shareRecord(writer))));
  });
  setHandler(recordChangedSignal, (record) => {
    if (legacy) {
      // As 1.0 took it: at once, outside the queue.
      m().adoptRecord(record);
      if (m().started) publish();
      wakeups++;
      return;
    }
    // In the queue, so a step being written cannot overwrite it with the record as it planned it.
    queue.push(async () => {
      const step = m().adoptRecord(record, now());
      if (step) await apply(step);
      else publish();
    });
  });

  const def: PipelineVersion = input.definition ?? (await loadPipeline(input.pipeline!));
  machine = input.state
    ? new InstanceMachine(def, input.state, { wholeViews: legacy })
    : // The chain id is the tail of the run id: its head is a timestamp (UUIDv7), shared by runs started close together.
      InstanceMachine.blank(input.instanceId, workflowInfo().firstExecutionRunId.slice(-8), def, input.record, {
        wholeViews: legacy,
        writesRecord: input.writesRecord === true || input.createsRecord !== undefined,
      });

  const memo = instanceMemo(def, input.record);
  if (!sameMemo(workflowInfo().memo, memo)) upsertMemo(memo);
  // A starter that knows when the first stage is entered set the search attributes of the state it leaves
  // (instanceStartOptions): the first step then upserts none.
  const startAt = input.entersAt ?? input.createsRecord?.at ?? now();
  if (!machine.started) firstStep = await apply(machine.planStart(input.startedBy, startAt, input.idempotencyKey, input.createsRecord?.at));
  else if (reopening && input.reopen) await reopen(input.reopen);
  else publish();

  const timer = new WakeTimer();
  while (machine.state.status === 'running') {
    const seen = wakeups;
    const deadline = machine.state.deadline;
    const reminder = deadline ? armedReminder() : undefined;
    const wakeAt = reminder?.at ?? deadline?.at;
    const wake = () => queue.length > 0 || wakeups !== seen || m().state.status !== 'running' || needsNewRun();
    const fired = legacy ? await timerPerWake(wakeAt, wake) : await timer.wait(wakeAt, wake);
    await drain();

    if (fired && machine.state.deadline === deadline && deadline) {
      const due = timerStep(reminder, deadline.at, now());
      const step = due === 'deadline' ? machine.planDeadline(SYSTEM_ACTOR, now()) : due === 'reminder' ? machine.planReminder(reminder!.before, SYSTEM_ACTOR, now()) : undefined;
      if (step) await apply(step);
    }
    const next = machine.state.status === 'running' ? autoAdvanceTarget(machine.def, machine.state) : undefined;
    if (next) await apply(machine.planAutoAdvance(next, SYSTEM_ACTOR, now()));

    if (needsNewRun()) {
      await settle();
      // The next run starts with this run's memo and the search attributes of the state it carries, so its first task writes neither.
      const typedSearchAttributes = heldSearchAttributes(machine.def, machine.state);
      const { definition: _definition, reopen: _reopen, ...carried } = input;
      return makeContinueAsNewFunc<typeof pipelineInstance>({ memo: workflowInfo().memo, typedSearchAttributes })({
        ...carried,
        pipeline: refOf(machine.state.record.companyId, def),
        state: machine.state,
      });
    }
  }

  await settle();
  const { instanceId, status, stage, seq } = machine.state;
  return { instanceId, status, stage, seq, digest: fingerprint(machine.state) };

  /**
   * 1.0's wait: a timer for every wake, cancelled when the wake comes first.
   * Runs that 1.0 started replay it exactly; answers whether the time came.
   */
  async function timerPerWake(at: string | undefined, wake: () => boolean): Promise<boolean> {
    if (at === undefined) {
      await condition(wake);
      return false;
    }
    return !(await condition(wake, Math.max(1, Date.parse(at) - Date.now())));
  }

  /**
   * Takes the reopening move, or keeps the final state when it is refused (the
   * starter checked it first; only a rule met meanwhile refuses it here), and
   * then the run completes again unchanged.
   */
  async function reopen(request: NonNullable<PipelineInstanceInput['reopen']>): Promise<void> {
    let step: Transition | undefined;
    try {
      step = m().planReopen(request, now());
    } catch (err) {
      reopenRefused = asFailure(err);
    }
    if (step) firstStep = await apply(step);
    else publish();
    reopening = false;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) await queue.shift()!();
  }

  /**
   * Applies whatever is queued until no handler is waiting and no child is being
   * started, so no accepted update is dropped and no step's webhooks are lost.
   * An update accepted while a start was in flight is applied here too.
   */
  async function settle(): Promise<void> {
    for (;;) {
      await drain();
      if (children.inFlight) await children.settled();
      else if (allHandlersFinished()) return;
      else await condition(() => queue.length > 0 || allHandlersFinished());
    }
  }

  /** Arms the current visit's reminders for its deadline as it stands now, and answers the next to fire. */
  function armedReminder(): DueReminder | undefined {
    if (!stageHasReminders(m().def, m().state.stage)) return undefined;
    const reminders = armReminders(m().def, m().state, now());
    if (reminders !== m().state.reminders) m().state = { ...m().state, reminders };
    return nextReminder(reminders);
  }

  function needsNewRun(): boolean {
    return workflowInfo().continueAsNewSuggested || updatesThisRun >= (input.maxUpdatesPerRun ?? MAX_UPDATES_PER_RUN);
  }
}

/** Whether the run's memo already says what `memo` says (its starter set it). */
function sameMemo(current: Record<string, unknown> | undefined, memo: Record<string, unknown>): boolean {
  const keys = Object.keys(memo);
  return (
    current !== undefined &&
    Object.keys(current).length === keys.length &&
    keys.every((key) => JSON.stringify(current[key]) === JSON.stringify(memo[key]))
  );
}
