import { parseDuration } from './duration';
import { findStage } from './moves';
import type { InstanceState, PipelineDefinition, ReminderState } from './types';

/** At most this many reminders per stage: each is an audit event and a webhook per visit. */
export const MAX_REMINDERS_PER_STAGE = 5;

/** Whether the instance's current stage declares reminders (only then does the workflow look at them). */
export function stageHasReminders(def: PipelineDefinition, stageKey: string): boolean {
  return (findStage(def, stageKey)?.reminders ?? []).length > 0;
}

/**
 * The reminders of the current stage visit, armed for its current deadline at
 * `nowIso`. A reminder is armed when its time (deadline − before) is still
 * ahead: one whose time had already passed when the deadline was set (a 24 h
 * reminder before a deadline 1 h away) never fires, since a late "approaching"
 * would say nothing the deadline itself does not. Fired ones stay fired for the
 * rest of the visit, also when the deadline moves; unfired ones move with it.
 * Answers `current` itself when nothing changed.
 */
export function armReminders(def: PipelineDefinition, state: InstanceState, nowIso: string): ReminderState | undefined {
  const current = state.reminders;
  const visit = state.history.at(-1)?.eventId;
  const reminders = findStage(def, state.stage)?.reminders ?? [];
  if (!visit || state.status !== 'running' || reminders.length === 0) return undefined;
  const fired = current?.visit === visit ? current.fired : [];
  const deadline = state.deadline;
  if (!deadline) return { visit, deadlineAt: '', fired, armed: [] };
  if (current?.visit === visit && current.deadlineAt === deadline.at) return current;
  const deadlineMs = Date.parse(deadline.at);
  const nowMs = Date.parse(nowIso);
  const armed = reminders
    .map((r) => r.before)
    .filter((before) => !fired.includes(before))
    .filter((before) => {
      const ms = parseDuration(before);
      return ms !== undefined && ms > 0 && deadlineMs - ms > nowMs;
    });
  return { visit, deadlineAt: deadline.at, fired, armed };
}

export interface DueReminder {
  before: string;
  /** deadline − before, ISO. */
  at: string;
}

/** The earliest armed reminder of the visit, or undefined when none is left. */
export function nextReminder(reminders: ReminderState | undefined): DueReminder | undefined {
  if (!reminders || !reminders.deadlineAt) return undefined;
  const deadlineMs = Date.parse(reminders.deadlineAt);
  let next: DueReminder | undefined;
  for (const before of reminders.armed) {
    const ms = parseDuration(before);
    if (ms === undefined) continue;
    const at = new Date(deadlineMs - ms).toISOString();
    if (!next || at < next.at) next = { before, at };
  }
  return next;
}

/**
 * Whether `reminder` is to fire at `nowIso`: its time has come and the
 * deadline's has not (a reminder never fires once the deadline is due, even
 * when a worker that was down wakes after both).
 */
export function reminderDue(reminder: DueReminder, deadlineAt: string, nowIso: string): boolean {
  const now = Date.parse(nowIso);
  return Date.parse(reminder.at) <= now && now < Date.parse(deadlineAt);
}

/**
 * What a timer that ran out does: the deadline's own timer fires the deadline;
 * a reminder's fires the reminder while it is due, gives way to the deadline
 * once that is due too (a worker down meanwhile), and otherwise nothing.
 */
export function timerStep(reminder: DueReminder | undefined, deadlineAt: string, nowIso: string): 'deadline' | 'reminder' | undefined {
  if (!reminder) return 'deadline';
  if (reminderDue(reminder, deadlineAt, nowIso)) return 'reminder';
  return Date.parse(nowIso) >= Date.parse(deadlineAt) ? 'deadline' : undefined;
}

/** The visit's reminder state once `before` has fired. */
export function markFired(reminders: ReminderState, before: string): ReminderState {
  return { ...reminders, fired: [...reminders.fired, before], armed: reminders.armed.filter((b) => b !== before) };
}

/** Every problem with one stage's reminders, as validateDefinition lines. */
export function reminderProblems(
  stage: { reminders?: Array<{ before: string }>; deadline?: unknown },
  at: string,
): string[] {
  const reminders = stage.reminders;
  if (reminders === undefined) return [];
  const problems: string[] = [];
  if (!stage.deadline) problems.push(`${at}.reminders: a stage without a deadline has nothing to remind of`);
  if (reminders.length > MAX_REMINDERS_PER_STAGE) {
    problems.push(`${at}.reminders: at most ${MAX_REMINDERS_PER_STAGE} reminders per stage, found ${reminders.length}`);
  }
  const seen = new Set<number>();
  reminders.forEach((reminder, i) => {
    const ms = parseDuration(reminder.before);
    if (ms === undefined) {
      problems.push(`${at}.reminders[${i}].before: "${reminder.before}" is not a duration (e.g. "90s", "15m", "12h", "7d", "2w")`);
    } else if (ms === 0) {
      problems.push(`${at}.reminders[${i}].before: a reminder must come some time before the deadline, not at it`);
    } else if (seen.has(ms)) {
      problems.push(`${at}.reminders[${i}].before: "${reminder.before}" is the same time as another reminder of this stage`);
    }
    if (ms !== undefined) seen.add(ms);
  });
  return problems;
}
