import { COLLECTIONS } from '../../../activities/store';
import { InstanceMachine } from '../../../workflows/instance-machine';
import { checkMove } from '../../../workflows/domain';
import type { InstanceState, MoveRequest, PipelineDefinition, PipelineVersion } from '../../../workflows/domain/types';
import { stateQuery } from '../../../workflows/messages';
import { seedUser, type TestUser } from '../../support/auth';
import { uid } from '../../support/factories';
import { startHarness, type Harness } from '../../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../../support/pipelines';
import { envInt, FAULT_SEED, report, seededRandom } from './lead-lifecycles';
import { probe } from './probes';

/**
 * Fault suite 4: many moves sent at once to one instance. Each is applied once
 * or refused with a reason, and the applied ones are exactly one serial order:
 * replayed in the order of the audit trail through the workflow's own pure
 * rules, each is accepted and they end in the stage the instance is in.
 */
const MOVES = envInt('FAULT_CONCURRENT_MOVES', 50);
jest.setTimeout(180_000 + MOVES * 1_000);

/**
 * A → B → C → D, every move allowed by policy (reversible, repeatable,
 * skippable), so what refuses a move is the order: entering C needs
 * `approved`, which entering D sets and entering B clears; going back to A
 * needs a reason; a move to the current stage is refused.
 */
function racePipeline(): PipelineDefinition {
  return testPipeline('Race', 'ticket', [
    { key: 'a', name: 'A', type: 'normal', initial: true, rules: { requireReason: true } },
    { key: 'b', name: 'B', type: 'normal', effects: { setFields: [{ field: 'approved', value: { kind: 'unset' } }] } },
    { key: 'c', name: 'C', type: 'normal', rules: { requiredFields: ['approved'] } },
    { key: 'd', name: 'D', type: 'normal', effects: { setFields: [{ field: 'approved', value: { kind: 'value', value: true } }, { field: 'approvedAt', value: { kind: 'now' } }] } },
  ]);
}

describe('Fault: concurrent moves on one instance', () => {
  let h: Harness;
  let admin: TestUser;

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { roles: ['admin'] });
  });
  afterAll(async () => h?.stop());

  it(`When ${MOVES} moves are sent to one instance at once, then each is applied once or refused with a reason, and the applied ones replay as one serial order`, async () => {
    const started = Date.now();
    const def = racePipeline();
    const version: PipelineVersion = await publishPipeline(h, admin, def);
    const record = await createRecord(h, admin, 'ticket', { fields: { title: 'contested' } });
    const start = await startInstance(h, admin, def.key, record.id);
    expect(start.status).toBe(201);
    const instanceId = start.body.instanceId as string;
    const initial = (await h.client.workflow.getHandle(instanceId).query(stateQuery)) as InstanceState;

    const random = seededRandom(FAULT_SEED + 4);
    const targets = ['a', 'b', 'c', 'd'];
    const moves: MoveRequest[] = Array.from({ length: MOVES }, (_, i) => {
      const move: MoveRequest = { to: targets[Math.floor(random() * targets.length)]! };
      if (random() < 0.5) move.reason = `move ${i}`;
      if (random() < 0.15) move.fields = { approved: `by move ${i}` };
      return move;
    });

    // All at once, each with a key of its own; a 429 (too many updates in flight on one run) or a 503 is
    // retried with the same key, as a client would, so a retry never applies a move twice.
    const key = uid('moves');
    let retried = 0;
    const answers = await Promise.all(
      moves.map(async (move, i) => {
        for (let attempt = 0; ; attempt++) {
          const res = await probe(h, 'POST', `${instancePath(instanceId)}/moves`, admin, move, 60_000, { 'idempotency-key': `${key}-${i}` });
          if (res.status !== 429 && res.status !== 503 && res.status !== 0) return { i, ...res };
          retried++;
          if (attempt > 20) return { i, ...res };
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 3_000)));
        }
      }),
    );
    const statuses = answers.map((a) => a.status);
    const applied = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 409);

    const events = (await h.stores.events.forInstance(instanceId)).sort((x, y) => seqOf(x.eventId) - seqOf(y.eventId));
    const moved = events.filter((e) => e.kind === 'moved');
    const eventIdsOfAnswers = applied.map((a) => (a.body as any).eventId as string);

    // Replay: in the order of the audit trail, through the workflow's own pure rules, from the state it started in.
    const machine = new InstanceMachine(version, initial);
    const states: InstanceState[] = [machine.state];
    const replayProblems: string[] = [];
    for (const event of moved) {
      const answer = applied.find((a) => (a.body as any).eventId === event.eventId);
      if (!answer) {
        replayProblems.push(`event ${event.eventId} answers no 200`);
        continue;
      }
      const move = moves[answer.i]!;
      const check = checkMove(version, machine.state, admin.actor, move);
      if (!check.ok) replayProblems.push(`move ${answer.i} to ${move.to} refused on replay: ${check.code}`);
      const transition = machine.planMove(admin.actor, move, event.at);
      if (transition.input.eventId !== event.eventId) replayProblems.push(`move ${answer.i}: replay id ${transition.input.eventId}, stored ${event.eventId}`);
      machine.commit(transition);
      states.push(machine.state);
    }
    // Every refusal is one the rules give in some state of that serial order.
    const unexplained = refused.filter((a) => !states.some((s) => {
      const c = checkMove(version, s, admin.actor, moves[a.i]!);
      return !c.ok && c.code === a.code;
    }));

    const final = (await h.client.workflow.getHandle(instanceId).query(stateQuery)) as InstanceState;
    const stored = await h.db.collection(COLLECTIONS.records).findOne({ _id: record.id as never });

    report('concurrent-moves', {
      moves: MOVES,
      applied: applied.length,
      refused: refused.length,
      refusalCodes: Object.fromEntries([...new Set(refused.map((r) => r.code))].map((c) => [c, refused.filter((r) => r.code === c).length])),
      retriedAfter429or503: retried,
      otherStatuses: statuses.filter((s) => s !== 200 && s !== 409),
      movedEvents: moved.length,
      replayProblems: replayProblems.slice(0, 10),
      unexplainedRefusals: unexplained.length,
      finalStage: final.stage,
      elapsedMs: Date.now() - started,
    });

    expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
    for (const r of refused) expect(r).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(moved).toHaveLength(applied.length);
    expect(new Set(eventIdsOfAnswers).size).toBe(applied.length);
    expect(moved.map((e) => e.eventId).sort()).toEqual([...eventIdsOfAnswers].sort());
    expect(replayProblems).toEqual([]);
    expect(unexplained).toEqual([]);
    const lastTarget = applied.length ? moves[applied.find((a) => (a.body as any).eventId === moved.at(-1)!.eventId)!.i]!.to : initial.stage;
    expect(final.stage).toBe(lastTarget);
    expect(machine.state.stage).toBe(final.stage);
    expect(final.record.fields).toEqual(machine.state.record.fields);
    expect(final.record.version).toBe(machine.state.record.version);
    expect(stored).toMatchObject({ version: 2 + applied.length, fields: { stage: final.stage } });
    expect(stored!.fields).toEqual(final.record.fields);
  });
});

/** The step number at the end of an event id (`<instance>:<chain>:<seq>`). */
function seqOf(eventId: string): number {
  return Number(eventId.slice(eventId.lastIndexOf(':') + 1));
}
