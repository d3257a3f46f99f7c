import { COLLECTIONS } from '../../../activities/store';
import type { InstanceState, PipelineDefinition } from '../../../workflows/domain/types';
import { stateQuery } from '../../../workflows/messages';
import { seedUser, type TestUser } from '../../support/auth';
import { startHarness, type Harness } from '../../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../../support/pipelines';
import { envInt, report } from './lead-lifecycles';
import { probe, type Probe } from './probes';

/**
 * Fault suite 5: two writers on one record at the same moment, many times over:
 * an API update (PATCH) and a workflow effect (a move whose stage entry sets
 * fields). On FerretDB a plain version check can lose one of them (its
 * findAndModify is not atomic); the record's instance must apply both, one
 * after the other. Also the direct path, for a record no instance runs on.
 */
const ROUNDS = envInt('FAULT_WRITER_ROUNDS', 20);
jest.setTimeout(120_000 + ROUNDS * 2_000);

/** Open ⇄ Working: each entry stamps the record (`workingSince`, `reopenedAt`, and `entries` by its actor). */
function writerPipeline(): PipelineDefinition {
  return testPipeline('Writers', 'ticket', [
    { key: 'open', name: 'Open', type: 'normal', initial: true, effects: { setFields: [{ field: 'reopenedAt', value: { kind: 'now' } }] } },
    { key: 'working', name: 'Working', type: 'normal', effects: { setFields: [{ field: 'workingSince', value: { kind: 'now' } }] } },
  ]);
}

describe('Fault: two writers on one record', () => {
  let h: Harness;
  let admin: TestUser;

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { roles: ['admin'] });
  });
  afterAll(async () => h?.stop());

  it(`When an API update and a workflow effect race on one record ${ROUNDS} times, then neither is lost: every field written is there and the version counts every write`, async () => {
    const started = Date.now();
    const def = writerPipeline();
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, admin, 'ticket', { fields: { title: 'contested' } });
    const start = await startInstance(h, admin, def.key, record.id);
    expect(start.status).toBe(201);
    const instanceId = start.body.instanceId as string;

    const patches: Array<{ round: number; field: string; answer: Probe; withVersion: boolean }> = [];
    const moves: Probe[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const current = await probe(h, 'GET', `/v1/records/ticket/${record.id}`, admin);
      const withVersion = round % 2 === 1;
      const field = `note${round}`;
      // Same moment: the PATCH (half of them with If-Match of the version just read) and the move.
      const [patch, move] = await Promise.all([
        probe(h, 'PATCH', `/v1/records/ticket/${record.id}`, admin, { fields: { [field]: `round ${round}` } }, 60_000,
          withVersion ? { 'if-match': `"${(current.body as any).version}"` } : {}),
        probe(h, 'POST', `${instancePath(instanceId)}/moves`, admin, { to: round % 2 === 0 ? 'working' : 'open' }),
      ]);
      patches.push({ round, field, answer: patch, withVersion });
      moves.push(move);
    }

    const stored = await h.db.collection(COLLECTIONS.records).findOne({ _id: record.id as never });
    const state = (await h.client.workflow.getHandle(instanceId).query(stateQuery)) as InstanceState;
    const events = await h.stores.events.forRecord(record.id);
    const moved = events.filter((e) => e.kind === 'moved');
    const updates = events.filter((e) => e.kind === 'record_updated');
    const applied = patches.filter((p) => p.answer.status === 200);
    const stale = patches.filter((p) => p.answer.status === 412);
    const lostPatches = applied.filter((p) => stored?.fields?.[p.field] === undefined);
    const ghostPatches = stale.filter((p) => stored?.fields?.[p.field] !== undefined);
    const lastEntry = (stage: string) => moved.filter((e) => e.to === stage).at(-1)?.at;

    report('concurrent-writers', {
      rounds: ROUNDS,
      patchesApplied: applied.length,
      patchesRefusedStale: stale.length,
      patchesOther: patches.filter((p) => p.answer.status !== 200 && p.answer.status !== 412).map((p) => `${p.answer.status} ${p.answer.code}`),
      movesApplied: moves.filter((m) => m.status === 200).length,
      lostUpdates: lostPatches.length,
      refusedButWritten: ghostPatches.length,
      recordVersion: stored?.version,
      writes: events.length,
      elapsedMs: Date.now() - started,
    });

    // Every answer is an application or a stale-version refusal (only PATCHes that named a version may be refused).
    expect(patches.filter((p) => p.answer.status !== 200 && !(p.answer.status === 412 && p.withVersion)).map((p) => p.answer)).toEqual([]);
    for (const p of stale) expect(p.answer.code).toBe('stale_version');
    expect(moves.filter((m) => m.status !== 200)).toEqual([]);
    // No lost update: every applied PATCH's field is on the record, no refused one is, and each move's effect is the last entry's.
    expect(lostPatches).toEqual([]);
    expect(ghostPatches).toEqual([]);
    expect(moved).toHaveLength(ROUNDS);
    expect(updates).toHaveLength(applied.length);
    expect(stored?.fields).toMatchObject({ stage: state.stage, workingSince: lastEntry('working') });
    if (lastEntry('open')) expect(stored?.fields.reopenedAt).toBe(lastEntry('open'));
    // One version per write (started, each move, each applied PATCH), and the workflow holds the same record.
    expect(stored?.version).toBe(1 + events.length);
    expect(events).toHaveLength(1 + ROUNDS + applied.length);
    expect(state.record.version).toBe(stored?.version);
    expect(state.record.fields).toEqual(stored?.fields);
  });

  it(`When ${ROUNDS} updates of one record no instance runs on race each other, then each is applied or refused as a conflict, and none is lost`, async () => {
    const record = await createRecord(h, admin, 'ticket', { fields: { title: 'plain' } });
    const answers = await Promise.all(
      Array.from({ length: ROUNDS }, (_, i) => probe(h, 'PATCH', `/v1/records/ticket/${record.id}`, admin, { fields: { [`plain${i}`]: i } })),
    );
    const stored = await h.db.collection(COLLECTIONS.records).findOne({ _id: record.id as never });
    const applied = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.status === 200);
    report('concurrent-writers-direct', {
      updates: ROUNDS,
      applied: applied.length,
      refusedStale: answers.filter((a) => a.status === 409).length,
      lost: applied.filter(({ i }) => stored?.fields?.[`plain${i}`] === undefined).length,
      recordVersion: stored?.version,
    });
    expect(answers.filter((a) => a.status !== 200 && !(a.status === 409 && a.code === 'conflict'))).toEqual([]);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.filter(({ i }) => stored?.fields?.[`plain${i}`] === undefined)).toEqual([]);
    // Refused ones left nothing behind, and the version counts exactly the applied ones.
    expect(answers.map((a, i) => ({ a, i })).filter(({ a, i }) => a.status === 409 && stored?.fields?.[`plain${i}`] !== undefined)).toEqual([]);
    expect(stored?.version).toBe(1 + applied.length);
  });
});
