import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { COLLECTIONS } from '../../activities/store';
import { instanceClient } from '../../api/instance-client';
import { instanceMemo } from '../../workflows/instance-summary';
import {
  completeTaskUpdate,
  moveUpdate,
  PIPELINE_INSTANCE_WORKFLOW,
  startedUpdate,
  stateQuery,
  type PipelineInstanceInput,
} from '../../workflows/messages';
import * as sa from '../../workflows/search-attributes';
import { toRecordView } from '../../activities/store/records';
import { buildActor, buildPipelineVersion, buildRecord } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { recordInstanceId, storeVersion } from '../support/pipelines';
import { refOf } from '../../workflows/pipeline-ref';

describe('the pipeline-instance workflow on the dev server and FerretDB', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ api: false });
  });
  afterAll(async () => h?.stop());

  /** Started as 1.0 started runs, with the definition in the input: such runs still run on this version. */
  async function start(extra: Partial<PipelineInstanceInput> = {}) {
    const record = buildRecord();
    // Published, as every version a 1.0 run pinned was: its steps read the version's names and win rates.
    const definition = await storeVersion(h, record.companyId, buildPipelineVersion());
    await h.stores.records.insert(record);
    const instanceId = recordInstanceId(record.companyId, definition.key, record.type, record.id);
    const input: PipelineInstanceInput = { instanceId, definition, record, startedBy: buildActor(), ...extra };
    const handle = await h.client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, {
      workflowId: instanceId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    return { definition, record, instanceId, handle };
  }

  it('When a run that 1.0 started takes its first step, then its activity writes the record stage and the whole view, and the query shows the initial stage', async () => {
    const { record, instanceId, handle } = await start();

    const view = await eventually(() => h.stores.instances.get(instanceId));
    expect(view).toMatchObject({ recordId: record.id, stage: 'qualify', status: 'running', seq: 1, complete: true });
    expect(view.history.map((v) => v.stage)).toEqual(['qualify']);
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
    expect(result).toEqual({ eventId: expect.stringMatching(/:2$/), seq: 2 });
    expect((await handle.query(stateQuery)).stage).toBe('propose');

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
      await handle.executeUpdate(moveUpdate, { args: [{ actor, move: { to, fields: { amount: 10 } } }] });
      expect((await h.stores.instances.get(instanceId))?.stage).toBe(to);
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

  const { EventType } = temporal.api.enums.v1;

  /** The events of a run's history, by type, with what each upsert wrote. */
  async function historyOf(handle: WorkflowHandle, runId?: string) {
    const events = (await h.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
    const upserts = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
      .map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).sort());
    return {
      upserts,
      markers: events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).map((e) => e.markerRecordedEventAttributes?.markerName),
      memoUpserts: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED).length,
    };
  }

  /** What a run wrote in its first workflow task, once that task has completed. */
  async function firstTaskOf(handle: WorkflowHandle, runId: string) {
    await eventually(async () => {
      const events = (await h.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
      return events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    });
    return historyOf(handle, runId);
  }

  /** Started as the API and the triggers start instances: memo and search attributes set by the start. */
  async function startCurrent(extra: Partial<PipelineInstanceInput> = {}, definitionOf = buildPipelineVersion()) {
    const record = buildRecord();
    const definition = await storeVersion(h, record.companyId, definitionOf);
    await h.stores.records.insert(record);
    const instanceId = recordInstanceId(record.companyId, definition.key, record.type, record.id);
    const view = toRecordView(record);
    await instanceClient(h.client, h.taskQueue).start(
      definition,
      { instanceId, pipeline: refOf(record.companyId, definition), record: view, startedBy: buildActor(), ...extra },
      { allowReinitiation: false },
    );
    return { definition, record: view, instanceId, handle: h.client.workflow.getHandle(instanceId) };
  }

  it('When an instance is started with its memo and search attributes, then its runs write only the attributes that change, and no patch marker', async () => {
    const { definition, record, handle } = await startCurrent();

    const started = await handle.describe();
    expect(started.memo).toEqual(instanceMemo(definition, record));
    expect(started.typedSearchAttributes.get(sa.Stage)).toBe('Qualify');
    expect(started.typedSearchAttributes.get(sa.StageType)).toBe('normal');
    expect(started.typedSearchAttributes.get(sa.RecordId)).toBe(record.id);
    expect(started.typedSearchAttributes.get(sa.PipelineKey)).toBe(definition.key);
    expect(started.typedSearchAttributes.get(sa.OwnerId)).toBe(record.ownerId);
    // The first stage has no deadline and the start wrote the rest: the first step upserts nothing. Its
    // markers are the pinned version, loaded by reference, and the first step.
    expect(await historyOf(handle)).toEqual({ upserts: [], markers: ['core_local_activity', 'core_local_activity'], memoUpserts: 0 });

    await handle.executeUpdate(moveUpdate, { args: [{ actor: buildActor(), move: { to: 'propose', fields: { amount: 5 } } }] });
    expect((await handle.describe()).typedSearchAttributes.get(sa.Stage)).toBe('Propose');
    // Stage changed; StageType (normal) did not.
    expect((await historyOf(handle)).upserts).toEqual([['Stage']]);
  });

  it('When a run continues as new, then the next run keeps its memo and search attributes without writing them again', async () => {
    const { definition, record, handle } = await startCurrent({ maxUpdatesPerRun: 1 });
    const firstRunId = (await handle.describe()).runId;
    await handle.executeUpdate(moveUpdate, { args: [{ actor: buildActor(), move: { to: 'propose', fields: { amount: 5 } } }] });

    const next = await eventually(async () => {
      const d = await handle.describe();
      return d.runId !== firstRunId && d;
    });
    expect(next.memo).toEqual(instanceMemo(definition, record));
    expect(next.typedSearchAttributes.get(sa.Stage)).toBe('Propose');
    expect(next.typedSearchAttributes.get(sa.RecordId)).toBe(record.id);
    // The next run loads its pinned version again (one marker), and writes nothing else.
    expect(await firstTaskOf(handle, next.runId)).toEqual({ upserts: [], markers: ['core_local_activity'], memoUpserts: 0 });
    expect((await handle.query(stateQuery)).stage).toBe('propose');
  });

  it('When an instance creates its record, then it enters its first stage at the creation time and starts with that deadline set: its first step upserts nothing', async () => {
    const record = toRecordView(buildRecord());
    const definition = await storeVersion(h, record.companyId, buildPipelineVersion({
      stages: [
        { key: 'qualify', name: 'Qualify', type: 'normal', initial: true, deadline: { after: '7d', to: 'won' } },
        { key: 'won', name: 'Won', type: 'success' },
      ],
    }));
    // Not the time of the first task: the step must take the creation's.
    const at = new Date(Date.now() - 60_000).toISOString();
    const deadline = new Date(Date.parse(at) + 7 * 86_400_000);
    const instanceId = recordInstanceId(record.companyId, definition.key, record.type, record.id);
    const first = await instanceClient(h.client, h.taskQueue).start(
      definition,
      { instanceId, pipeline: refOf(record.companyId, definition), record, startedBy: buildActor(), createsRecord: { at } },
      { allowReinitiation: false },
    );

    expect(first).toEqual({ eventId: expect.stringMatching(/:1$/), seq: 1 });
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ stage: 'qualify', stageEnteredAt: at, deadline: { at: deadline.toISOString(), to: 'won' } });
    const handle = h.client.workflow.getHandle(instanceId);
    expect((await handle.describe()).typedSearchAttributes.get(sa.DeadlineAt)).toEqual(deadline);
    expect(await historyOf(handle)).toEqual({ upserts: [], markers: ['core_local_activity', 'core_local_activity'], memoUpserts: 0 });
    const stored = await h.stores.records.get(record.id);
    expect(stored).toMatchObject({ createdAt: at, fields: { stage: 'qualify' } });
    expect((await h.stores.events.forInstance(instanceId)).map((e) => e.at)).toEqual([at]);
  });

  /** The history's events by type name, in order (the prefix dropped). */
  async function eventTypes(handle: WorkflowHandle): Promise<string[]> {
    const events = (await handle.fetchHistory()).events ?? [];
    return events.map((e) => (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', ''));
  }

  it('When a deadline fires, then its step is written by a local activity in the task the timer woke, with no activity task', async () => {
    const { record, instanceId, handle } = await startCurrent({}, buildPipelineVersion({
      stages: [
        { key: 'qualify', name: 'Qualify', type: 'normal', initial: true, deadline: { after: '2s', to: 'won' } },
        { key: 'won', name: 'Won', type: 'success' },
      ],
    }));

    expect(await handle.result()).toMatchObject({ stage: 'won', status: 'finished', seq: 2 });
    const types = await eventTypes(handle);
    const fired = types.indexOf('TIMER_FIRED');
    expect(fired).toBeGreaterThan(0);
    expect(types.slice(fired)).toEqual([
      'TIMER_FIRED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'MARKER_RECORDED',
      'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(types).not.toContain('ACTIVITY_TASK_SCHEDULED');
    // Written all the same: the record, the trail and the projection.
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('won');
    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => [e.kind, e.to])).toEqual([
      ['started', 'qualify'],
      ['deadline_fired', 'won'],
    ]);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ stage: 'won', status: 'finished', seq: 2 });
  });

  it('When the last required task is done, then the update step is an activity task and the auto-advance after it a local activity', async () => {
    const definition = buildPipelineVersion({
      stages: [
        {
          key: 'qualify',
          name: 'Qualify',
          type: 'normal',
          initial: true,
          autoAdvance: { to: 'propose' },
          tasks: [{ key: 'budget', name: 'Record the budget', kind: 'edit_fields', fields: ['amount'], assignee: { kind: 'owner' }, required: true }],
        },
        { key: 'propose', name: 'Propose', type: 'normal', rules: { requiredFields: ['amount'] } },
        { key: 'won', name: 'Won', type: 'success' },
      ],
    });
    const { record, instanceId, handle } = await startCurrent({}, definition);
    await handle.executeUpdate(startedUpdate);
    const [task] = (await h.stores.instances.get(instanceId))!.tasks;
    const done = await handle.executeUpdate(completeTaskUpdate, {
      args: [{ actor: buildActor({ userId: record.ownerId, companyId: record.companyId }), taskId: task!.id, fields: { amount: 300 } }],
    });
    expect(done.seq).toBe(2);

    const state = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.stage === 'propose' && s;
    });
    expect(state.seq).toBe(3);
    const types = await eventTypes(handle);
    // One activity task (the task completion, asked for by an update); the version, the start and the auto-advance are markers.
    expect(types.filter((t) => t === 'ACTIVITY_TASK_SCHEDULED')).toHaveLength(1);
    expect(types.filter((t) => t === 'MARKER_RECORDED')).toHaveLength(3);
    expect(types.lastIndexOf('MARKER_RECORDED')).toBeGreaterThan(types.indexOf('ACTIVITY_TASK_COMPLETED'));
    expect((await h.stores.records.get(record.id))?.fields).toMatchObject({ stage: 'propose', amount: 300 });
    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => e.kind)).toEqual(['started', 'task_completed', 'auto_advanced']);
  });

  it('When a run started without its memo and search attributes continues as new, then its first task wrote them and the next run carries them without writing them again', async () => {
    const { instanceId, handle } = await start({ maxUpdatesPerRun: 1 });
    const firstRunId = (await handle.describe()).runId;
    const before = await eventually(async () => {
      const history = await historyOf(handle, firstRunId);
      return history.upserts.length >= 1 && history;
    });
    expect(before.memoUpserts).toBe(1);
    expect(before.upserts[0]).toEqual(expect.arrayContaining(['PipelineKey', 'RecordId', 'Stage', 'CompanyId']));
    expect(before.markers).not.toContain('core_patch');

    await handle.executeUpdate(moveUpdate, { args: [{ actor: buildActor(), move: { to: 'propose', fields: { amount: 5 } } }] });
    const next = await eventually(async () => {
      const d = await handle.describe();
      return d.runId !== firstRunId && d;
    });
    expect(next.memo).toMatchObject({ recordId: instanceId.split(':').pop() });
    expect(next.typedSearchAttributes.get(sa.Stage)).toBe('Propose');
    // It carries its version by reference, as every run of this version does, and loads it (one marker).
    expect(await firstTaskOf(handle, next.runId)).toEqual({ upserts: [], markers: ['core_local_activity'], memoUpserts: 0 });
    const carried = await eventually(async () => (await h.stores.instances.get(instanceId))?.stage === 'propose');
    expect(carried).toBe(true);
  });
});
