import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  startChild,
  WorkflowIdReusePolicy,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { armReminders, autoAdvanceTarget, nextReminder, stageHasReminders, timerStep, type DueReminder } from './domain';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { SYSTEM_ACTOR, type Actor, type InstanceState } from './domain/types';
import { InstanceMachine, Refusal } from './instance-machine';
import { instanceMemo } from './instance-summary';
import {
  cancelUpdate,
  completeTaskUpdate,
  moveUpdate,
  INSTANCE_CONTRACT,
  recordChangedSignal,
  startedUpdate,
  stateQuery,
  updateRecordUpdate,
  type MutationResult,
  type PipelineInstanceInput,
} from './messages';
import { RECORD_TRIGGER_WORKFLOW } from './messages';
import { heldSearchAttributes, holds, instanceSearchAttributes } from './search-attributes';
import { startInstance } from './start-instance';
import type { StepWritten, Transition, TransitionKind } from './transition';
import type { PlannedTriggers } from './trigger-types';
import type { WebhookDelivery } from './domain/webhooks';
import { startWebhookDeliveries } from './webhook-deliveries';

const STEP_WRITES = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} as const;
const remote = proxyActivities<Activities>(STEP_WRITES);
const local = proxyLocalActivities<Activities>(STEP_WRITES);

/**
 * Runs that took their first step with this patch write their start through a
 * local activity (run by the worker inside the workflow task: no activity task
 * round trip through the server) and start the trigger of a record a step
 * created without waiting for it. Runs begun before it replay as they ran.
 *
 * The start: its content is the workflow's input, already in history, so a
 * retried first task writes the same thing again (and, from contract 3, the
 * steps a run takes on its own: below). A step an update asks for is
 * written by an activity task, scheduled once the task that accepted the update
 * is recorded: a local activity would write before that, and an update lost with
 * its task (a server restart) would leave writes under a sequence number that
 * the next step then reuses with other content.
 */
const LOCAL_STEPS_PATCH = 'local-step-writes';

/**
 * The steps a run takes on its own (a deadline that fired, an auto-advance once
 * the required tasks are done) follow from what its history already holds: a
 * timer that fired, a step whose activity completed. No update waits on them,
 * so no lost update can leave their writes behind, and a retried task plans the
 * same step again. Runs of contract 3 write them through a local activity too
 * (one workflow task, no activity task), which halves the server's work per
 * fired deadline: what a storm of expiring leads is made of.
 *
 * A task retried after its local activity wrote (a worker that died in
 * between) plans the step at the later time: the event and the record keep
 * the first attempt's time, the instance's projection and state the second's.
 * The start's local activity has always had the same property.
 */
const SYSTEM_STEP_KINDS: ReadonlySet<TransitionKind> = new Set<TransitionKind>(['deadline_fired', 'deadline_approaching', 'auto_advanced']);

/**
 * Runs that reach a stage with reminders with this patch wake before its
 * deadline for each (workflows/domain/reminders.ts). Asked only in such a
 * stage: histories from before reminders never met one, and replay as they ran.
 */
const REMINDERS_PATCH = 'deadline-reminders';

/**
 * Runs that took a step creating a linked record with this patch (a lead
 * converted into a new opportunity) start the new record's instances
 * themselves, from the triggers the step's activity planned: no trigger
 * workflow in between unless the plan is more than plain starts.
 */
const LINKED_STARTS_PATCH = 'linked-record-starts';

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
  // Runs started before the contract replay as they ran: every patch checked, every attribute written.
  const contract = input.contract ?? 0;
  const current = contract >= 2;
  // From contract 3: system steps written locally, and a created record's instance entering its first stage at the creation time.
  const contract3 = contract >= 3;
  const queue: Array<() => Promise<void>> = [];
  let updatesThisRun = 0;
  let wakeups = 0;

  const now = () => new Date(Date.now()).toISOString();

  async function apply(transition: Transition): Promise<MutationResult> {
    const localSteps = current || patched(LOCAL_STEPS_PATCH);
    const { kind } = transition.input.event;
    const writer = (localSteps && kind === 'started') || (contract3 && SYSTEM_STEP_KINDS.has(kind)) ? local : remote;
    // The instance's own record, when its first step created it, runs this instance; any other runs its own pipelines.
    const linked = (transition.input.recordsCreated ?? []).filter((r) => r.id !== transition.input.recordId);
    const startsLinked = linked.length > 0 && (current || patched(LINKED_STARTS_PATCH));
    const input = startsLinked ? { ...transition.input, planTriggersAs: transition.actor } : transition.input;
    const written: StepWritten | WebhookDelivery[] | undefined = await writer.recordTransition(input);
    // Runs from before steps answered their event hold the deliveries alone, or nothing at all.
    const deliveries = Array.isArray(written) ? written : written?.deliveries;
    machine.commit(transition);
    publish();
    // Not awaited, so webhooks never delay the step's answer; settle() waits for it before the run ends.
    // Histories from before webhooks hold no result here.
    if (deliveries?.length) track(startWebhookDeliveries(transition.input.eventId, deliveries));
    // The SDK adds workflowId and runId to the line, and drops it on replay.
    const { from, to, actor, eventId } = transition.input.event;
    log.info('step applied', { kind, from, to, actor: actor.userId, eventId });
    for (const record of linked) {
      const planned = startsLinked && !Array.isArray(written) ? written?.linked?.find((l) => l.record.id === record.id) : undefined;
      const trigger = planned ? startPlanned(planned, transition.actor) : triggerCreated(record.id, transition.actor);
      if (localSteps) track(trigger);
      else await trigger;
    }
    return { eventId: transition.input.eventId, state: machine.state };
  }

  /**
   * Starts the instances the step planned for a record it created. Anything but
   * plain starts (an instance to update, a contact's instance bound elsewhere),
   * or a start that lost its id to another, goes to the record's durable
   * trigger, which plans again and settles it.
   */
  async function startPlanned(planned: PlannedTriggers, actor: Actor): Promise<void> {
    const starts = planned.actions.filter((a) => a.action === 'start');
    if (starts.length === planned.actions.length) {
      try {
        for (const action of starts) await startInstance(action, planned.record, actor);
        return;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    await triggerCreated(planned.record.id, actor);
  }

  /** A record this step created runs its own pipelines, through the same durable trigger as an API create. */
  async function triggerCreated(recordId: string, actor: Actor): Promise<void> {
    try {
      await startChild(RECORD_TRIGGER_WORKFLOW, {
        workflowId: `trigger:${recordId}:created`,
        args: [{ kind: 'created', recordId, actor }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Child starts in flight: the run may not end (or continue as new) before each has been started. */
  const starting = new Set<Promise<void>>();
  function track(start: Promise<void>): void {
    starting.add(start);
    // A failed start stays in the set for settle() to rethrow; the second handler only keeps it from being unhandled meanwhile.
    void start.then(() => starting.delete(start), () => undefined);
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
   * and a visibility write on the server, so a current run writes only those
   * that changed (its starter set the first ones), and none when nothing did.
   */
  function publish(): void {
    const pairs = instanceSearchAttributes(machine.def, machine.state, contract >= 4);
    const changed = current ? pairs.filter((pair) => !holds(workflowInfo().typedSearchAttributes, pair)) : pairs;
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
    {
    validator: ({ actor, move }) => validated(machine, () => machine.validateMove(actor, move)),
  });
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
  if (!current || !sameMemo(workflowInfo().memo, memo)) upsertMemo(memo);
  // Its starter set the search attributes of the state this leaves (instanceStartOptions): no upsert follows.
  const startAt = (contract >= 5 && input.entersAt) || (contract3 && input.createsRecord ? input.createsRecord.at : now());
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
      // The next run is current whatever this one was, and starts with this run's memo and the search
      // attributes of the state it carries: a run of an older contract hands on those it never wrote.
      const typedSearchAttributes = heldSearchAttributes(machine.def, machine.state);
      return makeContinueAsNewFunc<typeof pipelineInstance>({ memo: workflowInfo().memo, typedSearchAttributes })({
        ...input,
        contract: INSTANCE_CONTRACT,
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
      if (starting.size > 0) await Promise.all(starting);
      else if (allHandlersFinished()) return;
      else await condition(() => queue.length > 0 || allHandlersFinished());
    }
  }

  /** Arms the current visit's reminders for its deadline as it stands now, and answers the next to fire. */
  function armedReminder(): DueReminder | undefined {
    if (!stageHasReminders(machine.def, machine.state.stage) || !(contract >= 5 || patched(REMINDERS_PATCH))) return undefined;
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
