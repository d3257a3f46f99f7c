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
import { SYSTEM_ACTOR, type InstanceState } from './domain/types';
import { InstanceMachine, Refusal } from './instance-machine';
import { instanceMemo } from './instance-summary';
import {
  cancelUpdate,
  completeTaskUpdate,
  moveUpdate,
  recordChangedSignal,
  startedUpdate,
  stateQuery,
  updateRecordUpdate,
  type MutationResult,
  type PipelineInstanceInput,
} from './messages';
import { heldSearchAttributes, holds, instanceSearchAttributes } from './search-attributes';
import { ChildStarts, startLinked, writeStep } from './step-writer';
import type { Transition } from './transition';
import { startWebhookDeliveries } from './webhook-deliveries';

/** Continue-as-new well before the server's limits (4,096 events suggested, 2,000 updates per run). */
const MAX_UPDATES_PER_RUN = 500;

/** A refusal crosses to the caller as a non-retryable failure whose type is the refusal code. */
function asFailure(err: unknown): unknown {
  return err instanceof Refusal ? ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true }) : err;
}

/**
 * Update validators answer from the current state. Before the first stage is
 * entered there is nothing to check against yet, so the update is accepted and
 * its handler checks again once it reaches the front of the queue.
 */
function validated(machine: InstanceMachine, check: () => void): void {
  if (!machine.started) return;
  try {
    check();
  } catch (err) {
    throw asFailure(err);
  }
}

/**
 * One pipeline instance: a record moving through the stages of one pinned
 * pipeline version. Every change goes through a single queue so that exactly
 * one mutation runs at a time; moves and task completions are updates whose
 * validators run the pure rules, so a refused move leaves no trace in history.
 */
export async function pipelineInstance(input: PipelineInstanceInput): Promise<InstanceState> {
  // The chain id is the tail of the run id: its head is a timestamp (UUIDv7), shared by runs started close together.
  const machine = input.state
    ? new InstanceMachine(input.definition, input.state)
    : InstanceMachine.blank(input.instanceId, workflowInfo().firstExecutionRunId.slice(-8), input.definition, input.record);
  const queue: Array<() => Promise<void>> = [];
  const children = new ChildStarts();
  let updatesThisRun = 0;
  let wakeups = 0;

  const now = () => new Date(Date.now()).toISOString();

  async function apply(transition: Transition): Promise<MutationResult> {
    // The instance's own record, when its first step created it, runs this instance; any other runs its own pipelines.
    const linked = (transition.input.recordsCreated ?? []).filter((r) => r.id !== transition.input.recordId);
    const written = await writeStep(linked.length > 0 ? { ...transition.input, planTriggersAs: transition.actor } : transition.input);
    machine.commit(transition);
    publish();
    if (written.deliveries.length > 0) children.track(startWebhookDeliveries(transition.input.eventId, written.deliveries));
    // The SDK adds workflowId and runId to the line, and drops it on replay.
    const { kind, from, to, actor, eventId } = transition.input.event;
    log.info('step applied', { kind, from, to, actor: actor.userId, eventId });
    for (const { id } of linked) children.track(startLinked(id, written.linked?.find((l) => l.record.id === id), transition.actor));
    return { eventId: transition.input.eventId, state: machine.state };
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
    const changed = instanceSearchAttributes(machine.def, machine.state).filter((pair) => !holds(workflowInfo().typedSearchAttributes, pair));
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  // A run that reopens a finished instance answers its starter once the reopening step is taken, or refused.
  let reopening = input.reopen !== undefined && machine.state.status === 'finished';
  let reopenRefused: unknown;

  setHandler(stateQuery, () => machine.state);
  setHandler(startedUpdate, async () => {
    await condition(() => machine.started && !reopening);
    if (reopenRefused) throw reopenRefused;
    return machine.state;
  });
  setHandler(
    moveUpdate,
    ({ actor, move, idempotencyKey, assignPartnerCompanyId, createRecord }) =>
      enqueue(() => machine.planMove(actor, move, now(), idempotencyKey, { assignPartnerCompanyId, createRecord })),
    { validator: ({ actor, move }) => validated(machine, () => machine.validateMove(actor, move)) },
  );
  setHandler(
    completeTaskUpdate,
    ({ actor, taskId, fields, idempotencyKey, createRecord }) =>
      enqueue(() => machine.planTaskCompletion(actor, taskId, fields, now(), idempotencyKey, { createRecord })),
    {
      validator: ({ actor, taskId, fields, createRecord }) =>
        validated(machine, () => machine.planTaskCompletion(actor, taskId, fields, now(), undefined, { createRecord })),
    },
  );
  setHandler(
    updateRecordUpdate,
    ({ actor, fields, expectedVersion }) => enqueue(() => machine.planRecordUpdate(actor, fields, expectedVersion, now())),
    {
      validator: ({ actor, fields, expectedVersion }) =>
        validated(machine, () => machine.planRecordUpdate(actor, fields, expectedVersion, now())),
    },
  );
  setHandler(cancelUpdate, ({ actor, reason }) => enqueue(() => machine.planCancel(actor, reason, now())), {
    validator: ({ actor, reason }) => validated(machine, () => machine.planCancel(actor, reason, now())),
  });
  setHandler(recordChangedSignal, (record) => {
    machine.adoptRecord(record);
    if (machine.started) publish();
    wakeups++;
  });

  const memo = instanceMemo(input.definition, input.record);
  if (!sameMemo(workflowInfo().memo, memo)) upsertMemo(memo);
  // A starter that knows when the first stage is entered set the search attributes of the state it leaves
  // (instanceStartOptions): the first step then upserts none.
  const startAt = input.entersAt ?? input.createsRecord?.at ?? now();
  if (!machine.started) await apply(machine.planStart(input.startedBy, startAt, input.idempotencyKey, input.createsRecord?.at));
  else if (reopening && input.reopen) await reopen(input.reopen);
  else publish();

  while (machine.state.status === 'running') {
    const seen = wakeups;
    const deadline = machine.state.deadline;
    const reminder = deadline ? armedReminder() : undefined;
    const wakeAt = reminder?.at ?? deadline?.at;
    const waitMs = wakeAt ? Math.max(0, Date.parse(wakeAt) - Date.now()) : undefined;
    const wake = () => queue.length > 0 || wakeups !== seen || machine.state.status !== 'running' || needsNewRun();
    const woke = waitMs === undefined ? (await condition(wake), true) : await condition(wake, Math.max(1, waitMs));
    await drain();

    if (!woke && machine.state.deadline === deadline && deadline) {
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
      return makeContinueAsNewFunc<typeof pipelineInstance>({ memo: workflowInfo().memo, typedSearchAttributes })({
        ...input,
        state: machine.state,
        reopen: undefined,
      });
    }
  }

  await settle();
  return machine.state;

  /**
   * Takes the reopening move, or keeps the final state when it is refused (the
   * starter checked it first; only a rule met meanwhile refuses it here), and
   * then the run completes again unchanged.
   */
  async function reopen(request: NonNullable<PipelineInstanceInput['reopen']>): Promise<void> {
    let step: Transition | undefined;
    try {
      step = machine.planReopen(request, now());
    } catch (err) {
      reopenRefused = asFailure(err);
    }
    if (step) await apply(step);
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
    if (!stageHasReminders(machine.def, machine.state.stage)) return undefined;
    const reminders = armReminders(machine.def, machine.state, now());
    if (reminders !== machine.state.reminders) machine.state = { ...machine.state, reminders };
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
