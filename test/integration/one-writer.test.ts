import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { stateQuery } from '../../workflows/messages';
import { recordWriterId } from '../../workflows/record-writer-messages';
import type { TransitionInput } from '../../workflows/transition';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, serversOf, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';
import { testStack } from '../support/stack';

/**
 * One record, two pipelines on two stage fields of it: a sales stage and an
 * approval with a date-field deadline. Both instances run at once, so the
 * record has one writer through them (workflows/record-writer.ts).
 */
function pipelines(type: string): [PipelineDefinition, PipelineDefinition] {
  const sales = testPipeline('Sales', type, [
    { key: 'a1', name: 'A1', type: 'normal', initial: true },
    { key: 'a2', name: 'A2', type: 'normal' },
    { key: 'a3', name: 'A3', type: 'normal' },
  ]);
  const approval = testPipeline(
    'Approval',
    type,
    [
      { key: 'r1', name: 'R1', type: 'normal', initial: true, deadline: { atField: 'reviewBy', to: 'r3' } },
      { key: 'r2', name: 'R2', type: 'normal', deadline: { atField: 'reviewBy', to: 'r3' } },
      { key: 'r3', name: 'R3', type: 'normal' },
    ],
    { stageField: 'approval' },
  );
  return [sales, approval];
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const later = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

interface Shared {
  recordId: string;
  sales: string;
  approval: string;
}

async function sharedRecord(h: Harness, admin: TestUser, type: string, defs: [PipelineDefinition, PipelineDefinition]): Promise<Shared> {
  const record = await createRecord(h, admin, type, { fields: { title: 'shared', reviewBy: later(48) } });
  const first = await startInstance(h, admin, defs[0].key, record.id);
  expect(first.status).toBe(201);
  const second = await startInstance(h, admin, defs[1].key, record.id);
  expect(second.status).toBe(201);
  return { recordId: record.id, sales: first.body.instanceId, approval: second.body.instanceId };
}

describe('one writer per record: two running instances on one record', () => {
  let h: Harness;
  let admin: TestUser;
  const type = uid('deal');
  const defs = pipelines(type);

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { roles: ['admin'] });
    for (const def of defs) await publishPipeline(h, admin, def);
  });
  afterAll(async () => h?.stop());

  const move = (instanceId: string, to: string) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user: admin, body: { to } });
  const patch = (recordId: string, fields: Record<string, unknown>, version?: number) =>
    call(h, 'PATCH', `/v1/records/${type}/${recordId}`, { user: admin, body: { fields }, ...(version !== undefined ? { headers: { 'if-match': `"${version}"` } } : {}) });
  const read = (recordId: string) => call(h, 'GET', `/v1/records/${type}/${recordId}`, { user: admin });

  it('When the second instance starts, then the record is handed to its writer workflow, which both instances write through', async () => {
    const shared = await sharedRecord(h, admin, type, defs);
    expect(await h.stores.records.getWritable(shared.recordId)).toMatchObject({ writer: recordWriterId(shared.recordId), fields: { stage: 'a1', approval: 'r1' } });
    expect((await h.client.workflow.getHandle(recordWriterId(shared.recordId)).describe()).status.name).toBe('RUNNING');
  });

  it('When either pipeline moves, then If-Match with the record\'s current version always works', async () => {
    const shared = await sharedRecord(h, admin, type, defs);
    const steps: Array<[string, string]> = [
      [shared.approval, 'r2'],
      [shared.sales, 'a2'],
      [shared.approval, 'r1'],
      [shared.sales, 'a3'],
    ];
    for (const [i, [instanceId, to]] of steps.entries()) {
      expect((await move(instanceId, to)).status).toBe(200);
      const current = await read(shared.recordId);
      const patched = await patch(shared.recordId, { note: `after ${to}` }, current.body.version);
      expect({ step: i, status: patched.status, body: patched.body.error }).toEqual({ step: i, status: 200, body: undefined });
      expect(patched.body.version).toBe(current.body.version + 1);
    }
    // A stale version is still refused, and changes nothing.
    const current = await read(shared.recordId);
    const stale = await patch(shared.recordId, { note: 'stale' }, current.body.version - 1);
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('stale_version');
    expect((await read(shared.recordId)).body).toMatchObject({ version: current.body.version, fields: { note: 'after a3' } });
  });

  it('When a record is patched or moved in one pipeline, then every answer shows every field, the other pipeline\'s stage field included', async () => {
    const shared = await sharedRecord(h, admin, type, defs);
    const patched = await patch(shared.recordId, { note: 'hello' });
    expect(patched.status).toBe(200);
    expect(patched.body.fields).toMatchObject({ stage: 'a1', approval: 'r1', note: 'hello', title: 'shared' });
    const moved = await move(shared.sales, 'a2');
    expect(moved.body.record.fields).toMatchObject({ stage: 'a2', approval: 'r1', note: 'hello' });
    const approved = await move(shared.approval, 'r2');
    expect(approved.body.record.fields).toMatchObject({ stage: 'a2', approval: 'r2', note: 'hello' });
  });

  it('When both pipelines move at once with PATCHes between them, then no field is lost and no version holds two contents', async () => {
    const shared = await sharedRecord(h, admin, type, defs);
    const start = (await read(shared.recordId)).body.version as number;
    const ROUNDS = 8;
    const seen = new Map<number, Set<string>>();
    const note = (record: { version: number; fields: Record<string, unknown> }) => {
      const contents = seen.get(record.version) ?? new Set<string>();
      contents.add(JSON.stringify(Object.entries(record.fields).sort(([a], [b]) => a.localeCompare(b))));
      seen.set(record.version, contents);
    };
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all([
        move(shared.sales, ['a2', 'a3', 'a1'][round % 3]!),
        move(shared.approval, round % 2 === 0 ? 'r2' : 'r1'),
        patch(shared.recordId, { [`f${round}`]: round }),
        patch(shared.recordId, { [`g${round}`]: round }),
      ]);
      for (const answer of answers) {
        expect({ round, status: answer.status, error: answer.body.error }).toEqual({ round, status: 200, error: undefined });
        note(answer.body.record ?? answer.body);
      }
    }
    const final = (await read(shared.recordId)).body;
    // Every write stored once, each under a version of its own.
    expect(final.version).toBe(start + ROUNDS * 4);
    for (let round = 0; round < ROUNDS; round++) expect(final.fields).toMatchObject({ [`f${round}`]: round, [`g${round}`]: round });
    expect(final.fields.stage).toBe((await h.stores.instances.get(shared.sales))?.stage);
    expect(final.fields.approval).toBe((await h.stores.instances.get(shared.approval))?.stage);
    const doubled = [...seen.entries()].filter(([, contents]) => contents.size > 1).map(([version]) => version);
    expect(doubled).toEqual([]);
  });
});

describe('one writer per record: a PATCH while a step is being written', () => {
  let h: Harness;
  let admin: TestUser;
  let worker: Worker;
  let running: Promise<void>;
  let connection: NativeConnection;
  const type = uid('deal');
  const defs = pipelines(type);
  /** Holds the activity of the step that `holds` picks until `open` is called. */
  const gate = {
    holds: (_input: TransitionInput) => false,
    entered: deferred(),
    opened: deferred(),
  };

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    admin = await seedUser(h, { roles: ['admin'] });
    // The worker's real activities; the gate only delays one step's write, which then runs as written.
    connection = await NativeConnection.connect({ address: serversOf(h).temporalAddress });
    const activities = createActivities({ stores: h.stores, temporal: { client: new Client({ connection, namespace: 'default' }), taskQueue: h.taskQueue } });
    worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: h.taskQueue,
      workflowBundle: { codePath: testStack().workflowBundlePath },
      activities: {
        ...activities,
        async recordTransition(input: TransitionInput) {
          if (gate.holds(input)) {
            gate.entered.resolve();
            await gate.opened.promise;
          }
          return activities.recordTransition(input);
        },
      },
    });
    running = worker.run();
    for (const def of defs) await publishPipeline(h, admin, def);
  });
  afterAll(async () => {
    gate.opened.resolve();
    worker?.shutdown();
    await running;
    await connection?.close();
    await h?.stop();
  });

  it('When the date field is patched while the approval\'s move is being written, then the approval\'s deadline follows the patch', async () => {
    const shared = await sharedRecord(h, admin, type, defs);
    const first = later(24);
    expect((await call(h, 'PATCH', `/v1/records/${type}/${shared.recordId}`, { user: admin, body: { fields: { reviewBy: first } } })).status).toBe(200);
    await eventually(async () => (await h.stores.instances.get(shared.approval))?.deadline?.at === first);

    gate.holds = (input) => input.eventId.startsWith(`${shared.approval}:`) && input.event.kind === 'moved';
    const moving = call(h, 'POST', `${instancePath(shared.approval)}/moves`, { user: admin, body: { to: 'r2' } });
    await gate.entered.promise;
    const second = later(72);
    const patched = await call(h, 'PATCH', `/v1/records/${type}/${shared.recordId}`, { user: admin, body: { fields: { reviewBy: second } } });
    expect(patched.status).toBe(200);
    gate.opened.resolve();
    expect((await moving).status).toBe(200);

    const state = await eventually(async () => {
      const s = await h.client.workflow.getHandle(shared.approval).query(stateQuery);
      return s.stage === 'r2' && s.record.fields.reviewBy === second && s;
    });
    expect(state.deadline).toMatchObject({ at: second, to: 'r3' });
    expect(await eventually(async () => (await h.stores.instances.get(shared.approval))?.deadline?.at === second && true)).toBe(true);
    expect((await h.stores.records.get(shared.recordId))?.fields).toMatchObject({ reviewBy: second, approval: 'r2', stage: 'a1' });
  });
});
