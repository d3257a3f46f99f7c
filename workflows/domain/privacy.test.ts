import { redactRecord } from './privacy';
import { buildActor, buildRecord } from './test-fixtures';

describe('field privacy', () => {
  const record = buildRecord({
    companyId: 'c-source',
    partnerCompanyId: 'c-partner',
    fields: { title: 'Lead', amount: 5000, margin: 0.3 },
    privateFields: ['amount', 'margin'],
  });

  it.each([
    ['a user of the owning company', buildActor({ companyId: 'c-source' }), { title: 'Lead', amount: 5000, margin: 0.3 }],
    ['the system', buildActor({ kind: 'system', companyId: undefined }), { title: 'Lead', amount: 5000, margin: 0.3 }],
    ['a partner user', buildActor({ companyId: 'c-partner' }), { title: 'Lead' }],
    ['a participant of another company', buildActor({ companyId: 'c-other' }), { title: 'Lead' }],
  ])('When %s reads the record, then it sees %j', (_who, actor, fields) => {
    expect(redactRecord(record, actor).fields).toEqual(fields);
  });

  it('When no field is private, then a partner sees everything', () => {
    const open = { ...record, privateFields: [] };
    expect(redactRecord(open, buildActor({ companyId: 'c-partner' })).fields).toEqual(record.fields);
  });
});
