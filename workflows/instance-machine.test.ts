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
