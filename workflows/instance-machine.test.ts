import { InstanceMachine } from './instance-machine';
import type { Actor, PipelineVersion, RecordView } from './domain/types';

const admin: Actor = { kind: 'user', userId: 'usr_admin', companyId: 'cmp_acme', roles: ['admin'] };
const NOW = '2026-01-05T10:00:00.000Z';

/** Entering B clears `approved`; entering D sets it. Every move allowed by policy. */
const version: PipelineVersion = {
  key: 'race',
  name: 'Race',
  objectType: 'ticket',
  stageField: 'stage',
  trigger: { onCreate: false, manual: true, reinitiate: false },
  multipleRuns: true,
  policy: { reversible: true, skippable: true, repeatable: true, reactivatable: false },
  stages: [
    { key: 'a', name: 'A', type: 'normal', initial: true },
    { key: 'b', name: 'B', type: 'normal', effects: { setFields: [{ field: 'approved', value: { kind: 'unset' } }] } },
    { key: 'd', name: 'D', type: 'normal', effects: { setFields: [{ field: 'approved', value: { kind: 'value', value: true } }] } },
  ],
  version: 1,
  publishedAt: NOW,
};

const record: RecordView = {
  id: 'tic_1',
  type: 'ticket',
  ownerId: 'usr_admin',
  companyId: 'cmp_acme',
  fields: { title: 'contested', approved: 'yes' },
  archived: false,
  version: 1,
  participants: { users: [], companies: [] },
  privateFields: [],
};

function started(): InstanceMachine {
  const machine = InstanceMachine.blank('pipeline:race:ticket:tic_1', 'chain001', version, record);
  machine.commit(machine.planStart(admin, NOW));
  return machine;
}

describe('InstanceMachine record changes', () => {
  it('When a move sets a field that the entered stage clears, then the change clears it and does not also set it', () => {
    const machine = started();
    const transition = machine.planMove(admin, { to: 'b', fields: { approved: 'by the move', note: 'kept' } }, NOW);
    const change = transition.input.record!;
    expect(change.unset).toEqual(['approved']);
    expect(change.set).toEqual({ note: 'kept', stage: 'b' });
    expect(transition.next.record.fields).toEqual({ title: 'contested', note: 'kept', stage: 'b' });
  });

  it("When a move sets a field that the entered stage sets too, then the stage's value is written", () => {
    const machine = started();
    const transition = machine.planMove(admin, { to: 'd', fields: { approved: 'by the move' } }, NOW);
    expect(transition.input.record!.set).toMatchObject({ approved: true, stage: 'd' });
    expect(transition.input.record!.unset).toEqual([]);
    expect(transition.next.record.fields.approved).toBe(true);
  });
});

describe('InstanceMachine start', () => {
  it('When the record is new, then the first step writes it whole, as the first stage leaves it', () => {
    const machine = InstanceMachine.blank('pipeline:race:ticket:tic_1', 'chain001', version, record);
    const CREATED = '2026-01-05T09:59:59.000Z';
    const transition = machine.planStart(admin, NOW, undefined, CREATED);
    expect(transition.input.recordsCreated).toEqual([
      { ...record, fields: { title: 'contested', approved: 'yes', stage: 'a' }, version: 2, createdAt: CREATED, updatedAt: CREATED },
    ]);
    // The change is still described, for a retry that finds the record already written.
    expect(transition.input.record).toMatchObject({ set: { stage: 'a' }, version: 2 });
  });

  it('When the record exists, then the first step changes it and creates none', () => {
    const machine = InstanceMachine.blank('pipeline:race:ticket:tic_1', 'chain001', version, record);
    expect(machine.planStart(admin, NOW).input.recordsCreated).toBeUndefined();
  });
});

describe('InstanceMachine task completion', () => {
  const quoting: PipelineVersion = {
    ...version,
    key: 'quoting',
    objectType: 'opportunity',
    stages: [
      {
        key: 'a',
        name: 'A',
        type: 'normal',
        initial: true,
        tasks: [{ key: 'quote', name: 'Create a quotation', kind: 'create_record', recordType: 'quotation', linkField: 'quotationId', assignee: { kind: 'owner' }, required: true }],
      },
      { key: 'b', name: 'B', type: 'normal' },
    ],
  };
  const opportunity: RecordView = { ...record, id: 'opp_1', type: 'opportunity', partnerCompanyId: 'cmp_partner', contactId: 'con_1', fields: { title: 'deal' } };
  const spec = { id: 'quo_new', type: 'quotation', fields: { total: 9_500 } };

  function quotingMachine(): { machine: InstanceMachine; taskId: string } {
    const machine = InstanceMachine.blank('pipeline:quoting:opportunity:opp_1', 'chain001', quoting, opportunity);
    machine.commit(machine.planStart(admin, NOW));
    return { machine, taskId: machine.state.tasks[0]!.id };
  }

  it('When a create_record task is completed with a record, then the step creates it linked both ways and links it from the task', () => {
    const { machine, taskId } = quotingMachine();
    const seller: Actor = { kind: 'user', userId: 'usr_seller', companyId: 'cmp_acme', roles: [] };
    const transition = machine.planTaskCompletion(admin, taskId, undefined, NOW, 'key-1', { createRecord: spec });
    expect(transition.input.recordsCreated).toEqual([
      {
        id: 'quo_new',
        type: 'quotation',
        ownerId: 'usr_admin',
        creatorId: 'usr_admin',
        companyId: 'cmp_acme',
        partnerCompanyId: 'cmp_partner',
        contactId: 'con_1',
        fields: { total: 9_500, opportunityId: 'opp_1' },
        archived: false,
        version: 1,
        participants: { users: [], companies: [] },
        privateFields: [],
        createdAt: NOW,
        updatedAt: NOW,
      },
    ]);
    expect(transition.input.record).toMatchObject({ set: { quotationId: 'quo_new' }, unset: [] });
    expect(transition.input.view.taskDone).toEqual({ id: taskId, doneAt: NOW, doneBy: 'usr_admin' });
    expect(transition.input.event).toMatchObject({
      kind: 'task_completed',
      idempotencyKey: 'key-1',
      details: { taskId, taskKey: 'quote', createdRecord: { id: 'quo_new', type: 'quotation' } },
    });
    expect(transition.next.record.fields).toEqual({ title: 'deal', stage: 'a', quotationId: 'quo_new' });
    expect(transition.next.tasks[0]).toMatchObject({ status: 'done', doneBy: 'usr_admin' });
    // The caller's own value for the back link does not win over the record the task came from.
    const forged = machine.planTaskCompletion(admin, taskId, undefined, NOW, undefined, { createRecord: { ...spec, fields: { opportunityId: 'opp_other' } } });
    expect(forged.input.recordsCreated?.[0]?.fields).toEqual({ opportunityId: 'opp_1' });
    expect(() => machine.planTaskCompletion(seller, taskId, undefined, NOW, undefined, { createRecord: spec })).toThrow(/assigned to someone else/);
  });

  it('When a create_record task links an existing record, then the step creates none', () => {
    const { machine, taskId } = quotingMachine();
    const transition = machine.planTaskCompletion(admin, taskId, { quotationId: 'quo_old' }, NOW);
    expect(transition.input.recordsCreated).toBeUndefined();
    expect(transition.input.record?.set).toEqual({ quotationId: 'quo_old' });
    expect(transition.input.event.details).toEqual({ taskId, taskKey: 'quote' });
  });

  it.each([
    ['a record of another type', undefined, { ...spec, type: 'contract' }, 'wrong_record_type'],
    ['both a link and a record', { quotationId: 'quo_old' }, spec, 'unexpected_fields'],
  ])('When the completion carries %s, then it is refused before anything is planned', (_case, fields, createRecord, code) => {
    const { machine, taskId } = quotingMachine();
    const before = machine.state;
    expect(() => machine.planTaskCompletion(admin, taskId, fields, NOW, undefined, { createRecord })).toThrow(expect.objectContaining({ code }));
    expect(machine.state).toBe(before);
  });
});
