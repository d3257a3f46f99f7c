import { WorkflowUpdateFailedError } from '@temporalio/client';
import { COLLECTIONS } from '../../activities/store';
import {
  moveUpdate,
  PIPELINE_INSTANCE_WORKFLOW,
  stateQuery,
  type PipelineInstanceInput,
} from '../../workflows/messages';
import { buildActor, buildPipelineVersion, buildRecord } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';

describe('the pipeline-instance workflow on the dev server and FerretDB', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ api: false });
  });
  afterAll(async () => h?.stop());

  async function start(extra: Partial<PipelineInstanceInput> = {}) {
    const definition = buildPipelineVersion();
    const record = buildRecord();
    await h.stores.records.insert(record);
    const instanceId = `pipeline:${definition.key}:${record.type}:${record.id}`;
    const input: PipelineInstanceInput = { instanceId, definition, record, startedBy: buildActor(), ...extra };
    const handle = await h.client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, {
      workflowId: instanceId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    return { definition, record, instanceId, handle };
  }

  it('When an instance starts, then its activity writes the record stage and the projection, and the query shows the initial stage', async () => {
    const { record, instanceId, handle } = await start();

    const projection = await eventually(() => h.stores.instances.get(instanceId));
    expect(projection).toMatchObject({ recordId: record.id, stage: 'qualify', status: 'running', seq: 1 });
    const stored = await h.db.collection(COLLECTIONS.records).findOne({ _id: record.id as never });
    expect(stored?.fields).toMatchObject({ title: 'Test record', stage: 'qualify' });
    expect(stored?.version).toBe(2);

    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ instanceId, stage: 'qualify', status: 'running', seq: 1 });
    expect(state.history).toHaveLength(1);
  });

  it('When a move is accepted, then the record, the audit trail and the state follow it', async () => {
    const { record, instanceId, handle } = await start();
    const actor = buildActor();
    const result = await handle.executeUpdate(moveUpdate, {
      args: [{ actor, move: { to: 'propose', fields: { amount: 1200 } } }],
    });
    expect(result.state.stage).toBe('propose');

    const stored = await h.stores.records.get(record.id);
    expect(stored?.fields).toMatchObject({ stage: 'propose', amount: 1200 });
    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => [e.kind, e.from, e.to, e.actor.userId])).toEqual([
      ['started', undefined, 'qualify', expect.any(String)],
      ['moved', 'qualify', 'propose', actor.userId],
    ]);
  });

  it('When a move breaks a rule, then the update is refused with its code and nothing is written', async () => {
    const { record, instanceId, handle } = await start();
    await eventually(() => h.stores.instances.get(instanceId));

    const refused = handle.executeUpdate(moveUpdate, { args: [{ actor: buildActor(), move: { to: 'propose' } }] });
    await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(refused).rejects.toMatchObject({ cause: { type: 'missing_fields' } });

    expect((await handle.query(stateQuery)).stage).toBe('qualify');
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('qualify');
    expect(await h.stores.events.forInstance(instanceId)).toHaveLength(1);
  });

  it('When a run reaches its update budget, then it continues as new and keeps its full state and trail', async () => {
    const { record, instanceId, handle } = await start({ maxUpdatesPerRun: 3 });
    const firstRunId = (await handle.describe()).runId;
    const actor = buildActor();
    const targets = ['propose', 'qualify', 'propose', 'qualify', 'propose', 'qualify', 'propose'];
    for (const to of targets) {
      const result = await handle.executeUpdate(moveUpdate, { args: [{ actor, move: { to, fields: { amount: 10 } } }] });
      expect(result.state.stage).toBe(to);
    }

    const state = await handle.query(stateQuery);
    expect(state.stage).toBe('propose');
    expect(state.seq).toBe(targets.length + 1);
    expect(state.history.map((v) => v.stage)).toEqual(['qualify', ...targets]);
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    const runs = await eventually(async () => {
      const ids: string[] = [];
      for await (const run of h.client.workflow.list({ query: `WorkflowId = '${instanceId}'` })) ids.push(run.runId);
      return ids.length >= 3 && ids;
    });
    expect(new Set(runs).size).toBe(runs.length);

    expect(await h.stores.events.forInstance(instanceId)).toHaveLength(targets.length + 1);
    expect((await h.stores.records.get(record.id))?.version).toBe(1 + targets.length + 1);
  });
});
