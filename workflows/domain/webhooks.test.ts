import { approachingDeadline, webhookDeliveryId, webhookEventTypes, type WebhookEventType } from './webhooks';

describe('webhook event types of a step', () => {
  it.each<[string, { kind: string; to?: string }, string, WebhookEventType[]]>([
    ['a start', { kind: 'started', to: 'qualify' }, 'opportunity', ['stage.entered']],
    ['a move', { kind: 'moved', to: 'propose' }, 'opportunity', ['stage.entered']],
    ['an auto-advance', { kind: 'auto_advanced', to: 'won' }, 'opportunity', ['stage.entered']],
    ['a deadline', { kind: 'deadline_fired', to: 'expired' }, 'lead', ['stage.entered', 'deadline.fired']],
    ['a reminder before a deadline', { kind: 'deadline_approaching' }, 'lead', ['deadline.approaching']],
    ['a task completion', { kind: 'task_completed' }, 'opportunity', ['task.completed']],
    ['a record update', { kind: 'record_updated' }, 'lead', []],
    ['a cancellation', { kind: 'cancelled' }, 'lead', []],
    ['an ignored trigger', { kind: 'trigger_ignored' }, 'lead', []],
    ['a lead accepted', { kind: 'moved', to: 'accepted' }, 'lead', ['stage.entered', 'lead.accepted']],
    ['a lead declined', { kind: 'moved', to: 'declined' }, 'lead', ['stage.entered', 'lead.declined']],
    ['a lead converted', { kind: 'moved', to: 'closed_converted' }, 'lead', ['stage.entered', 'lead.converted']],
    ['a lead closed unconverted', { kind: 'moved', to: 'closed_not_converted' }, 'lead', ['stage.entered']],
    ['a lead back to pending', { kind: 'moved', to: 'pending' }, 'lead', ['stage.entered']],
    ['"accepted" on another object type', { kind: 'moved', to: 'accepted' }, 'opportunity', ['stage.entered']],
  ])('When the step is %s, then it raises %j', (_what, event, objectType, types) => {
    expect(webhookEventTypes(event, objectType)).toEqual(types);
  });

  it.each<[string, { kind: string; to?: string }, string, boolean, WebhookEventType[]]>([
    ['a move into a final stage', { kind: 'moved', to: 'won' }, 'opportunity', true, ['stage.entered', 'instance.finished']],
    ['a deadline into a final stage', { kind: 'deadline_fired', to: 'expired' }, 'lead', true, ['stage.entered', 'deadline.fired', 'instance.finished']],
    ['a lead converted, which ends it', { kind: 'moved', to: 'closed_converted' }, 'lead', true, ['stage.entered', 'lead.converted', 'instance.finished']],
    ['a record update on a finished instance', { kind: 'record_updated' }, 'lead', true, []],
    ['a move into a stage that is not final', { kind: 'moved', to: 'propose' }, 'opportunity', false, ['stage.entered']],
  ])('When the step is %s (finished: %s), then it raises %j', (_what, event, objectType, finished, types) => {
    expect(webhookEventTypes(event, objectType, finished)).toEqual(types);
  });

  it('When one step raises two types for one webhook, then each delivery has its own id', () => {
    const ids = new Set(['stage.entered', 'lead.accepted'].map((t) => webhookDeliveryId('i:c:2', 'whk_1', t as WebhookEventType)));
    expect(ids.size).toBe(2);
    expect(webhookDeliveryId('i:c:2', 'whk_1', 'lead.accepted')).toBe('i:c:2:whk_1:lead.accepted');
  });

  it('When a reminder raises deadline.approaching, then its payload carries the deadline from the audit details', () => {
    const details = { stage: 'pending', deadlineAt: '2025-03-02T10:00:00.000Z', before: '24h', to: 'expired' };
    expect(approachingDeadline(details)).toEqual({ at: '2025-03-02T10:00:00.000Z', to: 'expired', before: '24h' });
    expect(approachingDeadline({ deadlineAt: 5 })).toBeUndefined();
    expect(approachingDeadline(undefined)).toBeUndefined();
  });
});
