import { allowedMoves, checkMove, checkReactivation, initialStage, reactivationTarget, stageIndex } from './moves';
import { buildActor, buildDefinition, buildState, buildTask, linearDefinition, NOW, owner, partnerLeadDefinition, partnerUser, stranger } from './test-fixtures';
import type { Actor, InstanceState, MoveRequest, PipelineDefinition, RefusalCode } from './types';
import { SYSTEM_ACTOR } from './types';

const linear = linearDefinition();
const open = linearDefinition({ policy: { reversible: true, skippable: true, repeatable: true, reactivatable: true } });
const visited = (...stages: string[]) => stages.map((stage, i) => ({ stage, enteredAt: NOW, by: 'u-owner', eventId: `ev-${i}` }));
const sales = buildActor({ userId: 'u-sales', companyId: 'c-source', roles: ['sales'] });
const manager = buildActor({ userId: 'u-manager', companyId: 'c-source', roles: ['manager'] });
const guarded = buildDefinition(
  [
    { key: 'a', name: 'A', type: 'normal', rules: { exit: { roles: ['sales', 'manager'] } } },
    {
      key: 'b',
      name: 'B',
      type: 'normal',
      rules: {
        enter: { roles: ['sales'] },
        exit: { roles: ['sales', 'manager'] },
        back: { roles: ['manager'] },
        requireReason: true,
        requiredFields: ['amount', 'tags'],
        requiredTasks: ['t1', 't2'],
      },
    },
  ],
  { policy: { reversible: true, skippable: false, repeatable: true, reactivatable: false } },
);
const complete: MoveRequest = { to: 'b', reason: 'ready', fields: { amount: 10, tags: ['x'] } };
const doneTasks = [buildTask({ key: 't1', status: 'done' }), buildTask({ id: 'ev-1:t2', key: 't2', status: 'done' })];

describe('stage lookup', () => {
  it.each<[string, PipelineDefinition, string]>([
    ['marked initial', buildDefinition([{ key: 'x', name: 'X', type: 'normal' }, { key: 'y', name: 'Y', type: 'normal', initial: true }]), 'y'],
    ['the first when none is marked', buildDefinition([{ key: 'x', name: 'X', type: 'normal' }, { key: 'y', name: 'Y', type: 'normal' }]), 'x'],
  ])('When the initial stage is %s, then it is %s', (_case, def, key) => {
    expect(initialStage(def).key).toBe(key);
  });

  it('When a stage is unknown, then its index is -1', () => {
    expect([stageIndex(linear, 'c'), stageIndex(linear, 'nope')]).toEqual([2, -1]);
  });
});

describe('checkMove refusals', () => {
  it.each<[string, PipelineDefinition, Partial<InstanceState>, Actor, MoveRequest, RefusalCode, string]>([
    ['the instance is finished', linear, { status: 'finished' }, owner, { to: 'b' }, 'not_running', 'finished'],
    ['the instance is cancelled', linear, { status: 'cancelled' }, SYSTEM_ACTOR, { to: 'b' }, 'not_running', 'cancelled'],
    ['the target is unknown', linear, {}, owner, { to: 'zz' }, 'unknown_stage', '"zz"'],
    ['the target is the current stage', linear, {}, owner, { to: 'a' }, 'same_stage', 'A'],
    ['the current stage is a success', linear, { stage: 'won' }, owner, { to: 'd' }, 'final_stage', 'Won'],
    ['the current stage is a failure, even for the system', linear, { stage: 'lost' }, SYSTEM_ACTOR, { to: 'a' }, 'final_stage', 'Lost'],
    ['moving back is off', linear, { stage: 'c', history: visited('a', 'b', 'c') }, owner, { to: 'b' }, 'not_reversible', 'from C to B'],
    ['skipping is off', linear, {}, owner, { to: 'c' }, 'not_skippable', 'from A to C'],
    ['re-entering is off', linearDefinition({ policy: { reversible: true, skippable: true, repeatable: false, reactivatable: false } }), { stage: 'b', history: visited('a', 'c', 'b') }, owner, { to: 'c' }, 'not_repeatable', 'C'],
    ['the exit rule refuses', guarded, {}, stranger, complete, 'not_allowed', 'rule exit of stage A'],
    ['the enter rule refuses', guarded, {}, manager, complete, 'not_allowed', 'rule enter of stage B'],
    ['the back rule refuses', guarded, { stage: 'b' }, sales, { to: 'a' }, 'not_allowed', 'rule back of stage B'],
    ['the reason is missing', guarded, { tasks: doneTasks }, sales, { ...complete, reason: undefined }, 'reason_required', 'B'],
    ['the reason is blank', guarded, { tasks: doneTasks }, sales, { ...complete, reason: '  ' }, 'reason_required', 'B'],
    ['a field is empty', guarded, { tasks: doneTasks }, sales, { ...complete, fields: { amount: 10, tags: [] } }, 'missing_fields', 'tags'],
    ['a field is absent', guarded, { tasks: doneTasks }, sales, { ...complete, fields: { tags: ['x'] } }, 'missing_fields', 'amount'],
    ['a required task is open', guarded, { tasks: [doneTasks[0]!, buildTask({ id: 'ev-1:t2', key: 't2' })] }, sales, complete, 'missing_tasks', 't2'],
    ['a required task was never created', guarded, { tasks: [doneTasks[0]!] }, sales, complete, 'missing_tasks', 't2'],
  ])('When %s, then the move is refused', (_case, def, state, actor, move, code, mentions) => {
    const check = checkMove(def, buildState(state), actor, move);
    expect(check).toMatchObject({ ok: false, code });
    expect(!check.ok && check.message).toContain(mentions);
  });
});

describe('checkMove allowed', () => {
  it.each<[string, PipelineDefinition, Partial<InstanceState>, Actor, MoveRequest, 'forward' | 'backward']>([
    ['moving to the next stage', linear, {}, owner, { to: 'b' }, 'forward'],
    ['skipping into a failure stage', linear, {}, owner, { to: 'lost' }, 'forward'],
    ['skipping into a success stage', linear, { stage: 'b', history: visited('a', 'b') }, owner, { to: 'won' }, 'forward'],
    ['skipping when the policy allows it', open, {}, owner, { to: 'd' }, 'forward'],
    ['moving back when reversible', open, { stage: 'c', history: visited('a', 'b', 'c') }, owner, { to: 'a' }, 'backward'],
    ['re-entering when repeatable', open, { stage: 'b', history: visited('a', 'c', 'b') }, owner, { to: 'c' }, 'forward'],
    ['reactivating a lost instance', open, { stage: 'lost', history: visited('a', 'lost') }, owner, { to: 'b' }, 'backward'],
    ['a manager moves back', guarded, { stage: 'b' }, manager, { to: 'a' }, 'backward'],
    ['fields come from the record and the move', guarded, { tasks: doneTasks, record: { ...buildState().record, fields: { amount: 5 } } }, sales, { to: 'b', reason: 'ok', fields: { tags: ['x'] } }, 'forward'],
    ['the system bypasses who rules', guarded, { tasks: doneTasks }, SYSTEM_ACTOR, complete, 'forward'],
    ['the partner accepts a partner lead', partnerLeadDefinition(), { stage: 'pending' }, partnerUser, { to: 'accepted' }, 'forward'],
  ])('When %s, then the move is allowed', (_case, def, state, actor, move, direction) => {
    const full = buildState(state);
    expect(checkMove(def, full, actor, move)).toEqual({ ok: true, value: { from: full.stage, to: move.to, direction } });
  });

  it('When the system skips a step, then the policy still applies', () => {
    expect(checkMove(linear, buildState(), SYSTEM_ACTOR, { to: 'c' })).toMatchObject({ ok: false, code: 'not_skippable' });
  });
});

describe('allowedMoves', () => {
  const lead = partnerLeadDefinition();
  it.each<[string, PipelineDefinition, Partial<InstanceState>, Actor, string[]]>([
    ['a linear pipeline offers the next stage and outcomes', linear, {}, owner, ['b', 'won', 'lost']],
    ['an open pipeline offers every other stage', open, { stage: 'b', history: visited('a', 'b') }, owner, ['a', 'c', 'd', 'won', 'lost']],
    ['a finished instance offers nothing', linear, { stage: 'won' }, owner, []],
    ['a stopped instance offers nothing', linear, { status: 'cancelled' }, owner, []],
    ['a stopped instance of a reactivating pipeline offers nothing', open, { status: 'cancelled' }, owner, []],
    ['a finished instance of a reactivating pipeline offers the moves that reopen it', open, { stage: 'lost', status: 'finished', history: visited('a', 'lost') }, owner, ['a', 'b', 'c', 'd', 'won']],
    ['the partner may accept, close or decline; Expired is locked', lead, { stage: 'pending' }, partnerUser, ['accepted', 'converted', 'not_converted', 'declined']],
    ['the owner company may not act on a pending partner lead', lead, { stage: 'pending' }, owner, []],
    ['the system may also expire the lead', lead, { stage: 'pending' }, SYSTEM_ACTOR, ['accepted', 'converted', 'not_converted', 'declined', 'expired']],
    ['requirements the move may supply are ignored', guarded, {}, sales, ['b']],
  ])('When %s, then those are the moves', (_case, def, state, actor, expected) => {
    expect(allowedMoves(def, buildState(state), actor)).toEqual(expected);
  });

  it('When a partner lead is pending, then converting still needs the acceptance', () => {
    const check = checkMove(lead, buildState({ stage: 'pending' }), partnerUser, { to: 'converted', fields: { opportunityId: 'opp-1' } });
    expect(check).toMatchObject({ ok: false, code: 'missing_fields' });
  });
});

describe('checkMove: fields sent by another company', () => {
  const lead = partnerLeadDefinition();
  const accepted = buildState({ stage: 'accepted', record: { ...buildState().record, fields: { acceptedAt: NOW } } });

  it('When a partner sends the fields its target stage requires, then the move is allowed', () => {
    expect(checkMove(lead, accepted, partnerUser, { to: 'converted', fields: { opportunityId: 'opp-1' } }).ok).toBe(true);
  });

  it.each<[string, MoveRequest, string[]]>([
    ["the owning company's own field", { to: 'converted', fields: { opportunityId: 'opp-1', amount: 1 } }, ['amount']],
    ['the stage field', { to: 'not_converted', fields: { status: 'won' } }, ['status']],
    ['any field where the stage requires none', { to: 'declined', reason: 'no', fields: { declineReason: 'no' } }, ['declineReason']],
  ])('When a partner sends %s, then the move is refused outside_fields, naming them', (_case, move, refused) => {
    const check = checkMove(lead, accepted, partnerUser, move);
    expect(check).toMatchObject({ ok: false, code: 'outside_fields' });
    for (const field of refused) expect(!check.ok && check.message).toContain(field);
  });

  it('When the owning company or the system sends any field, then it is not refused for it', () => {
    const move = { to: 'converted', fields: { opportunityId: 'opp-1', amount: 1 } };
    expect(checkMove(lead, accepted, buildActor({ companyId: accepted.record.companyId }), move)).toMatchObject({ code: 'not_allowed' });
    expect(checkMove(lead, accepted, SYSTEM_ACTOR, move).ok).toBe(true);
  });
});

describe('checkReactivation', () => {
  const lost = { stage: 'lost', status: 'finished' as const, history: visited('a', 'b', 'lost') };

  it.each<[string, PipelineDefinition, Partial<InstanceState>, Actor, MoveRequest, RefusalCode | 'ok']>([
    ['a lost instance reopens in a working stage', open, lost, owner, { to: 'b' }, 'ok'],
    ['the pipeline forbids reactivation', linear, lost, owner, { to: 'b' }, 'not_reactivatable'],
    ['the instance is still running', open, { stage: 'b', history: visited('a', 'b') }, owner, { to: 'c' }, 'not_finished'],
    ['the instance was cancelled', open, { stage: 'b', status: 'cancelled' }, owner, { to: 'a' }, 'not_finished'],
    ['the reopening move breaks a rule of the move', open, lost, owner, { to: 'nowhere' }, 'unknown_stage'],
    ['the reopening move goes nowhere', open, lost, owner, { to: 'lost' }, 'same_stage'],
  ])('When %s, then the answer is %s', (_case, def, state, actor, move, expected) => {
    const check = checkReactivation(def, buildState(state), actor, move);
    expect(check.ok ? 'ok' : check.code).toBe(expected);
  });

  it('When a lost instance is reopened, then the move is checked as a move of a running instance (who may enter)', () => {
    const guardedOpen = { ...guarded, policy: { ...guarded.policy, reactivatable: true }, stages: [...guarded.stages, { key: 'lost', name: 'Lost', type: 'failure' as const }] };
    const check = checkReactivation(guardedOpen, buildState({ stage: 'lost', status: 'finished' }), stranger, { to: 'b' });
    expect(check).toMatchObject({ ok: false, code: 'not_allowed' });
  });
});

describe('reactivationTarget', () => {
  it.each<[string, Partial<InstanceState>, string]>([
    ['the last working stage before the outcome', { history: visited('a', 'c', 'b', 'lost') }, 'b'],
    ['the initial stage when no working stage was visited', { history: visited('won') }, 'a'],
  ])('When reopening with %s, then the target is it', (_case, state, expected) => {
    expect(reactivationTarget(open, buildState(state))).toBe(expected);
  });
});
