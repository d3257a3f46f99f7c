import { userActor } from '../../api/auth';
import { instanceClient } from '../../api/instance-client';
import { refOf } from '../../workflows/pipeline-ref';
import { toRecordView } from '../../activities/store/records';
import type { Actor } from '../../workflows/domain/types';
import type { PropellerEnv } from '../bench/propeller';
import { instancePath } from '../bench/http';
import { moveTarget, movePingPong, PING_PONG_KEY, pingPongPipeline } from '../bench/scenarios/pingpong';
import { until } from './recorder';
import { onlyInstance, type CreatedRecord, type HistoryScenario, type InstanceView } from './scenario';

const move = (env: PropellerEnv, instanceId: string, body: Record<string, unknown>) =>
  env.call<InstanceView>(env.users.sales, 'POST', `${instancePath(instanceId)}/moves`, body);

const opportunityReactivated: HistoryScenario = {
  name: 'opportunity-reactivated',
  description: 'opportunity moved to Lost (its run completes), then reactivated: a new run from the final state, left open',
  async run(env) {
    const created = await env.call<CreatedRecord>(env.users.sales, 'POST', '/v1/records/opportunity', { fields: { title: 'Heat pumps', amount: 2_000 } });
    const instanceId = onlyInstance(created);
    await move(env, instanceId, { to: 'telephone' });
    await move(env, instanceId, { to: 'lost', fields: { lostReason: 'price' }, reason: 'Too dear' });
    const lost = env.client.workflow.getHandle(instanceId);
    const { runId: lostRunId } = await lost.describe();
    await lost.result();
    const reopened = await env.call<InstanceView>(env.users.sales, 'POST', `${instancePath(instanceId)}/reactivate`, { reason: 'They called back' });
    if (reopened.status !== 'running') throw new Error(`${instanceId} reactivated into ${reopened.status}`);
    return [
      { name: 'opportunity-lost', workflowId: instanceId, runId: lostRunId },
      { name: 'opportunity-reactivated', workflowId: instanceId },
    ];
  },
};

/** Continue-as-new after this many updates, instead of the default 500: a few moves make two runs. */
const UPDATES_PER_RUN = 3;

/** The actor the API makes of the demo sales user. */
async function salesActor(env: PropellerEnv): Promise<Actor> {
  const user = await env.stores.people.getUser(env.users.sales.userId);
  if (!user) throw new Error('the demo world has no sales user');
  return userActor(user);
}

const longInstanceContinued: HistoryScenario = {
  name: 'long-instance-continued',
  description: `an instance started with maxUpdatesPerRun ${UPDATES_PER_RUN} and moved back and forth: the run that continued as new, and the next one`,
  pipelines: [pingPongPipeline()],
  async run(env) {
    const created = await env.call<CreatedRecord>(env.users.sales, 'POST', '/v1/records/bench_item', { fields: { title: 'Item' } });
    const record = await env.stores.records.get(created.id);
    const definition = await env.stores.pipelines.latestPublished(env.users.sales.companyId, PING_PONG_KEY);
    if (!record || !definition) throw new Error('the record or the ping-pong pipeline is missing');
    // The API never lowers the update budget: the instance is started as the API starts one, with the budget set.
    const { instanceId } = await env.stores.instanceSlot(definition, record);
    const pipeline = refOf(record.companyId, definition);
    const input = { instanceId, pipeline, record: toRecordView(record), startedBy: await salesActor(env), entersAt: new Date().toISOString() };
    await instanceClient(env.client, env.taskQueue).start(definition, { ...input, maxUpdatesPerRun: UPDATES_PER_RUN }, { allowReinitiation: false });
    const { runId: firstRunId } = await env.client.workflow.getHandle(instanceId).describe();
    for (let i = 0; i <= UPDATES_PER_RUN; i++) await movePingPong(env, instanceId, moveTarget(i));
    const next = await until(`the run after ${firstRunId}`, async () => {
      const { runId } = await env.client.workflow.getHandle(instanceId).describe();
      return runId === firstRunId ? undefined : runId;
    });
    return [
      { name: 'long-instance-continued', workflowId: instanceId, runId: firstRunId },
      { name: 'long-instance-next-run', workflowId: instanceId, runId: next },
    ];
  },
};

export const INSTANCE_SCENARIOS = [opportunityReactivated, longInstanceContinued];
