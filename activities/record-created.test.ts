import { newRecord } from '../workflows/domain';
import { planRecordCreated } from './record-created';
import type { Webhook } from './store/webhooks';

const hook = (id: string, companyId: string, events: Webhook['events']): Webhook => ({
  id, companyId, events, url: 'https://example.test/hooks', active: true, createdAt: '2026-12-01T00:00:00.000Z', createdBy: 'usr_admin',
});

const lead = {
  ...newRecord({ id: 'lea_1', type: 'lead', ownerId: 'usr_sales', creatorId: 'usr_sales', companyId: 'cmp_acme', partnerCompanyId: 'cmp_a', fields: { title: 'Roof', amount: 5 } }, '2026-12-07T09:00:00.000Z'),
  privateFields: ['amount'],
};

describe('planRecordCreated', () => {
  const hooks = [
    hook('whk_owner', 'cmp_acme', ['record.created']),
    hook('whk_partner', 'cmp_a', ['stage.entered', 'record.created']),
    hook('whk_other_partner', 'cmp_b', ['record.created']),
    hook('whk_deaf', 'cmp_acme', ['stage.entered']),
  ];
  const planned = planRecordCreated([lead], { userId: 'usr_sales', companyId: 'cmp_acme' }, hooks);
  const to = (webhookId: string) => planned.find((d) => d.webhookId === webhookId)?.payload as { record: { fields: Record<string, unknown> } } | undefined;

  it.each([
    ['the owner gets every field', 'whk_owner', { title: 'Roof', amount: 5 }],
    ['the assigned partner gets it without the private fields', 'whk_partner', { title: 'Roof' }],
    ['another partner gets nothing', 'whk_other_partner', undefined],
    ['a webhook not listening gets nothing', 'whk_deaf', undefined],
  ])('%s', (_, webhookId, fields) => {
    expect(to(webhookId)?.record.fields).toEqual(fields);
  });

  it('has ids that follow from the record only, so raising it again is the same event', () => {
    const again = planRecordCreated([{ ...lead, fields: { title: 'Changed since' } }], { userId: 'usr_other' }, hooks);
    expect(again.map((d) => d.id)).toEqual(planned.map((d) => d.id));
    expect(planned.map((d) => d.id)).toEqual(['record:lea_1:whk_owner:record.created', 'record:lea_1:whk_partner:record.created']);
  });

  it('carries the record, who created it and sequence 0', () => {
    expect(planned[0]!.payload).toEqual({
      id: 'record:lea_1:whk_owner:record.created',
      type: 'record.created',
      occurredAt: '2026-12-07T09:00:00.000Z',
      companyId: 'cmp_acme',
      recordId: 'lea_1',
      actor: { userId: 'usr_sales', companyId: 'cmp_acme' },
      record: { id: 'lea_1', type: 'lead', version: 1, fields: { title: 'Roof', amount: 5 } },
      sequence: 0,
    });
  });
});
