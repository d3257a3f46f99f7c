import { armReminders, markFired, nextReminder, reminderDue, timerStep } from './reminders';
import { buildDefinition, buildState, NOW } from './test-fixtures';
import type { InstanceState, ReminderState } from './types';

const HOUR = 3_600_000;
const def = buildDefinition([
  { key: 'a', name: 'A', type: 'normal', deadline: { after: '48h', to: 'z' }, reminders: [{ before: '24h' }, { before: '1h' }] },
  { key: 'b', name: 'B', type: 'normal', deadline: { after: '48h', to: 'z' } },
  { key: 'z', name: 'Z', type: 'invalid' },
]);
const iso = (ms: number) => new Date(ms).toISOString();
const inHours = (h: number) => iso(Date.parse(NOW) + h * HOUR);
const inA = (deadlineInHours: number, overrides: Partial<InstanceState> = {}): InstanceState =>
  buildState({ stage: 'a', deadline: { at: inHours(deadlineInHours), to: 'z', source: 'after' }, ...overrides });

describe('armReminders and nextReminder', () => {
  it.each<[string, number, string[], { before: string; at: string } | undefined]>([
    ['the deadline is two days away: both armed, 24h first', 48, ['24h', '1h'], { before: '24h', at: inHours(24) }],
    ['the deadline is 5 hours away: the 24h reminder had passed when it was set', 5, ['1h'], { before: '1h', at: inHours(4) }],
    ['the deadline is 30 minutes away: neither fires', 0.5, [], undefined],
    ['the reminder time is exactly now: too late', 24, ['1h'], { before: '1h', at: inHours(23) }],
  ])('When %s, then the armed reminders are as counted', (_case, hours, armed, next) => {
    const reminders = armReminders(def, inA(hours), NOW);
    expect(reminders).toEqual({ visit: 'ev-0', deadlineAt: inHours(hours), fired: [], armed });
    expect(nextReminder(reminders)).toEqual(next);
  });

  it('When a reminder has fired and the deadline moves later in the same visit, then only the other one moves with it', () => {
    const fired = markFired(armReminders(def, inA(48), NOW)!, '24h');
    expect(nextReminder(fired)).toEqual({ before: '1h', at: inHours(47) });
    const moved = armReminders(def, inA(72, { reminders: fired }), inHours(24));
    expect(moved).toEqual({ visit: 'ev-0', deadlineAt: inHours(72), fired: ['24h'], armed: ['1h'] });
    expect(nextReminder(moved)).toEqual({ before: '1h', at: inHours(71) });
  });

  it('When the deadline moves earlier, then a reminder whose new time has passed is dropped', () => {
    const armed = armReminders(def, inA(48), NOW)!;
    const moved = armReminders(def, inA(10, { reminders: armed }), inHours(1));
    expect(moved?.armed).toEqual(['1h']);
  });

  it('When the stage is entered again, then the visit starts with nothing fired', () => {
    const fired: ReminderState = { visit: 'ev-0', deadlineAt: inHours(48), fired: ['24h', '1h'], armed: [] };
    const again = inA(48, { reminders: fired, history: [{ stage: 'a', enteredAt: NOW, by: 'u', eventId: 'ev-7' }] });
    expect(armReminders(def, again, NOW)).toEqual({ visit: 'ev-7', deadlineAt: inHours(48), fired: [], armed: ['24h', '1h'] });
  });

  it('When nothing changed, then the same state comes back (the workflow writes nothing)', () => {
    const armed = armReminders(def, inA(48), NOW)!;
    expect(armReminders(def, inA(48, { reminders: armed }), inHours(2))).toBe(armed);
  });

  it('When the stage has no reminders, or the instance is not running, then there is nothing to arm', () => {
    expect(armReminders(def, inA(48, { stage: 'b', history: [{ stage: 'b', enteredAt: NOW, by: 'u', eventId: 'ev-1' }] }), NOW)).toBeUndefined();
    expect(armReminders(def, inA(48, { status: 'finished' }), NOW)).toBeUndefined();
    expect(nextReminder(undefined)).toBeUndefined();
  });

  it('When the deadline is gone (its field cleared), then nothing is armed but what fired stays fired', () => {
    const fired = markFired(armReminders(def, inA(48), NOW)!, '24h');
    expect(armReminders(def, inA(48, { reminders: fired, deadline: undefined }), NOW)).toEqual({ visit: 'ev-0', deadlineAt: '', fired: ['24h'], armed: [] });
  });
});

describe('reminderDue', () => {
  const reminder = { before: '1h', at: inHours(47) };
  it.each<[string, number, boolean]>([
    ['before its time', 46.5, false],
    ['at its time', 47, true],
    ['between it and the deadline', 47.5, true],
    ['at the deadline', 48, false],
    ['after the deadline', 50, false],
  ])('When it is %s, then it is due: %s', (_case, hours, due) => {
    expect(reminderDue(reminder, inHours(48), inHours(hours))).toBe(due);
  });
});

describe('timerStep', () => {
  const reminder = { before: '1h', at: inHours(47) };
  it.each<[string, typeof reminder | undefined, number, 'deadline' | 'reminder' | undefined]>([
    ["the deadline's own timer", undefined, 48, 'deadline'],
    ["a reminder's timer at its time", reminder, 47, 'reminder'],
    ["a reminder's timer woken after the deadline (a worker was down)", reminder, 49, 'deadline'],
    ["a reminder's timer woken early", reminder, 46, undefined],
  ])('When %s runs out, then the step is %s', (_case, due, hours, step) => {
    expect(timerStep(due, inHours(48), inHours(hours))).toBe(step);
  });
});
