import type { StageVisit, TaskState } from '../../workflows/domain/types';
import type { ViewChange } from '../../workflows/transition';

/**
 * How a step's ViewChange becomes one update of the instance's view. Visits
 * and tasks are kept in maps keyed by what never changes (the visit's
 * sequence, the task's step and key), so a step sets or removes its own
 * entries and never rewrites the others'; a visit's `leftAt` is the next
 * visit's `enteredAt`, so no step writes back into an earlier one.
 */

export type StoredVisit = Omit<StageVisit, 'leftAt'>;

/** The last `:`-separated part of an event id is the step's sequence. */
const seqOf = (eventId: string) => eventId.slice(eventId.lastIndexOf(':') + 1);

/** A visit's key: `s` and its step's sequence (a field name, never an array index). */
export const visitKey = (eventId: string) => `s${seqOf(eventId)}`;

/** A task's key: `t`, the sequence of the step that created it, and its task key (task ids are `<event id>:<task key>`). */
export function taskKey(taskId: string): string {
  const cut = taskId.lastIndexOf(':');
  return `t${seqOf(taskId.slice(0, cut))}_${taskId.slice(cut + 1)}`;
}

const withoutLeft = ({ leftAt: _left, ...visit }: StageVisit): StoredVisit => visit;

export function visitsOf(stored: Record<string, StoredVisit> | undefined): StageVisit[] {
  const visits = Object.entries(stored ?? {})
    .sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))
    .map(([, v]) => v);
  return visits.map((v, i) => {
    const next = visits[i + 1];
    return next ? { ...v, leftAt: next.enteredAt } : { ...v };
  });
}

/** A task as the view keeps it: with its place among the tasks its step created (stored maps keep no order). */
export type StoredTask = TaskState & { order?: number };

const seqOfTask = (id: string) => Number(seqOf(id.slice(0, id.lastIndexOf(':'))));

export function tasksOf(stored: Record<string, StoredTask> | undefined): TaskState[] {
  return Object.values(stored ?? {})
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || seqOfTask(a.id) - seqOfTask(b.id) || (a.order ?? 0) - (b.order ?? 0))
    .map(({ order: _order, ...task }) => task);
}

const placed = (tasks: TaskState[]): Array<[string, StoredTask]> => tasks.map((t, order) => [taskKey(t.id), { ...t, order }]);

interface Patch {
  $set: Record<string, unknown>;
  $unset?: Record<string, ''>;
}

/** The update of one step: `base` holds what the activity derived (names, types, the ref), `visit` the visit it began, `winRate` the stage's. */
export function stepPatch(
  change: ViewChange,
  step: { chainId: string; visit?: StageVisit },
  base: Record<string, unknown>,
  winRate: number | undefined,
): Patch {
  const { chainId, visit } = step;
  const $set: Record<string, unknown> = {
    ...base,
    chainId,
    [`chains.${chainId}`]: change.seq,
    seq: change.seq,
    status: change.status,
    stage: change.stage,
    stageEnteredAt: change.stageEnteredAt,
  };
  const $unset: Record<string, ''> = {};
  const optional = (field: string, value: unknown) => {
    if (value === undefined) $unset[field] = '';
    else $set[field] = value;
  };
  optional('deadline', change.deadline);
  optional('reminders', change.reminders);
  optional('amount', change.amount);
  optional('winRate', change.amount === undefined ? undefined : winRate);
  optional('weightedAmount', change.amount === undefined || winRate === undefined ? undefined : (change.amount * winRate) / 100);
  if (change.parties) {
    $set.ownerId = change.parties.ownerId;
    optional('partnerCompanyId', change.parties.partnerCompanyId);
    optional('contactId', change.parties.contactId);
  }
  const whole = change.whole ?? (change.chainStart ? { history: visit ? [visit] : [], tasks: change.tasksCreated ?? [] } : undefined);
  if (whole) {
    // A chain's first step, or a 1.0 run's: visits and tasks are written whole.
    $set.visits = Object.fromEntries(whole.history.map((v) => [visitKey(v.eventId), withoutLeft(v)]));
    $set.tasks = Object.fromEntries(placed(whole.tasks));
  } else {
    if (visit) $set[`visits.${visitKey(visit.eventId)}`] = withoutLeft(visit);
    if (change.droppedVisit) $unset[`visits.${visitKey(change.droppedVisit)}`] = '';
    for (const [key, task] of placed(change.tasksCreated ?? [])) $set[`tasks.${key}`] = task;
    if (change.taskDone) {
      const key = taskKey(change.taskDone.id);
      $set[`tasks.${key}.status`] = 'done';
      if (change.taskDone.doneAt !== undefined) $set[`tasks.${key}.doneAt`] = change.taskDone.doneAt;
      if (change.taskDone.doneBy !== undefined) $set[`tasks.${key}.doneBy`] = change.taskDone.doneBy;
    }
    for (const id of change.tasksDropped ?? []) $unset[`tasks.${taskKey(id)}`] = '';
  }
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}
