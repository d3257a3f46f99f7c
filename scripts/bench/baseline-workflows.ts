/**
 * The bare-Temporal baselines: the same durable work as Propeller's (workflow
 * starts, updates, timers, one activity per step) with no HTTP, no MongoDB and
 * no rules. Bundled on their own (bundleWorkflowCode) and run on their own
 * task queue by a worker whose activities do nothing.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineUpdate,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributeUpdatePair } from '@temporalio/common';

/*
 * Three of the search attributes Propeller's instances keep, by name (Propeller's
 * own modules stay out of this bundle); the bench's server registers them.
 */
const Stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
const StageType = defineSearchAttributeKey('StageType', SearchAttributeType.KEYWORD);
const DeadlineAt = defineSearchAttributeKey('DeadlineAt', SearchAttributeType.DATETIME);

export interface BaselineActivities {
  noop(): Promise<void>;
}

const NOOP_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} as const;
const remote = proxyActivities<BaselineActivities>(NOOP_OPTIONS);
const local = proxyLocalActivities<BaselineActivities>(NOOP_OPTIONS);
const { noop } = remote;

export interface StepInput {
  /** Start another instance with this id in the same step (a lead converted into a new opportunity). */
  spawn?: string;
}

export const startedUpdate = defineUpdate<number>('started');
export const stepUpdate = defineUpdate<number, [StepInput]>('step');

export interface LifecycleInput {
  /** Steps after which the workflow completes; 0 keeps it open (an idle instance). */
  steps: number;
  /** The deadline each stage arms (a durable timer, re-armed after every step); 0 for none. */
  deadlineMs: number;
  /** The start runs its no-op as a local activity (as Propeller's first step is written); later steps stay activity tasks. */
  localStart?: boolean;
  /**
   * Each step upserts the search attributes a Propeller step changes: Stage
   * and DeadlineAt on a step that arms a deadline, Stage and StageType on the
   * last (the starter set the first ones).
   */
  indexed?: boolean;
}

/** The deadline a stage entered at `now` arms, when the run has one. */
const deadlineAttribute = (input: LifecycleInput, now: number) => (input.deadlineMs > 0 ? [{ key: DeadlineAt, value: new Date(now + input.deadlineMs) }] : []);

/** The attributes step `step` (1-based) of `input` upserts when the run is indexed. */
export function stepAttributes(input: LifecycleInput, step: number, now: number): SearchAttributeUpdatePair[] {
  if (!input.indexed) return [];
  const last = input.steps > 0 && step >= input.steps;
  if (last) return [{ key: Stage, value: 'Done' }, { key: StageType, value: 'success' }];
  return [{ key: Stage, value: `Step ${step}` }, ...deadlineAttribute(input, now)];
}

/** The attributes an indexed run starts with, as Propeller's starter sets them. */
export function startAttributes(input: LifecycleInput, now: number) {
  if (!input.indexed) return undefined;
  return [{ key: Stage, value: 'Start' }, { key: StageType, value: 'normal' }, ...deadlineAttribute(input, now)];
}

/**
 * A pipeline instance without the pipeline: a no-op activity when it starts,
 * then one no-op activity per `step` update, a timer re-armed at every stage,
 * and completion after `steps` steps.
 */
export async function bareLifecycle(input: LifecycleInput): Promise<number> {
  let steps = 0;
  let started = false;
  setHandler(startedUpdate, async () => {
    await condition(() => started);
    return steps;
  });
  // Triggers started by steps: answered without waiting for them, awaited before the run ends.
  const spawning: Array<Promise<void>> = [];
  setHandler(stepUpdate, async ({ spawn }) => {
    await condition(() => started);
    await noop();
    const attributes = stepAttributes(input, steps + 1, Date.now());
    if (attributes.length > 0) upsertSearchAttributes(attributes);
    if (spawn) spawning.push(spawnInstance(spawn, { steps: 0, deadlineMs: 0, localStart: input.localStart, indexed: input.indexed }));
    return ++steps;
  });
  await (input.localStart ? local.noop() : noop());
  started = true;
  while (input.steps === 0 || steps < input.steps) {
    const seen = steps;
    if (input.deadlineMs > 0) await condition(() => steps !== seen, input.deadlineMs);
    else await condition(() => steps !== seen);
  }
  await condition(allHandlersFinished);
  await Promise.all(spawning);
  return steps;
}

/** The new record's instance, started by the step itself as Propeller's conversion does (the trigger planned in the step's activity). */
async function spawnInstance(id: string, child: LifecycleInput): Promise<void> {
  await startChild(bareLifecycle, {
    workflowId: `bare-instance:${id}`,
    args: [child],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: startAttributes(child, Date.now()),
  });
}

/**
 * A deadline without the pipeline: one timer until `at` (epoch ms), one no-op
 * activity, done. `local`: the no-op is a local activity, as Propeller writes
 * the step a deadline fires.
 */
export async function bareTimer(input: { at: number; local?: boolean }): Promise<void> {
  await sleep(Math.max(1, input.at - Date.now()));
  await (input.local ? local.noop() : noop());
}

export interface UpdateLoopInput {
  /** Continue-as-new after this many updates, as Propeller's instances do (default 500). */
  maxUpdatesPerRun?: number;
  total?: number;
  /** Each update also upserts Stage, as a Propeller move does. */
  indexed?: boolean;
}

/** Takes `step` updates one at a time, each with a no-op activity; continues as new like a long instance. */
export async function bareUpdateLoop(input: UpdateLoopInput): Promise<number> {
  let total = input.total ?? 0;
  let thisRun = 0;
  let chain = Promise.resolve();
  setHandler(stepUpdate, () => {
    thisRun++;
    const mine = chain.then(async () => {
      await noop();
      if (input.indexed) upsertSearchAttributes([{ key: Stage, value: total % 2 === 0 ? 'Pong' : 'Ping' }]);
      return ++total;
    });
    chain = mine.then(() => undefined);
    return mine;
  });
  await condition(() => thisRun >= (input.maxUpdatesPerRun ?? 500) || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  return continueAsNew<typeof bareUpdateLoop>({ ...input, total });
}
