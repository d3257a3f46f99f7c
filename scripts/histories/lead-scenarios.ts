import type { PipelineDefinition } from '../../workflows/domain/types';
import { RECORD_TRIGGER_WORKFLOW } from '../../workflows/messages';
import type { PropellerEnv } from '../bench/propeller';
import { LEAD_STAGES, PARTNER_LEAD_KEY, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { until } from './recorder';
import { inMs, onlyInstance, untilStage, type CreatedRecord, type HistoryScenario } from './scenario';

/** Sales sends a lead to partner A, as the demo world's users do. */
const createLead = (env: PropellerEnv, fields: Record<string, unknown> = {}) =>
  env.call<CreatedRecord>(env.users.sales, 'POST', '/v1/records/lead', {
    fields: { title: 'Rooftop solar', amount: 12_000, ...fields },
    partnerCompanyId: env.users.partner.companyId,
  });

/** Partner A works the lead: accept, convert. */
const leadAction = (env: PropellerEnv, leadId: string, action: string, body: unknown = {}) =>
  env.call<{ record: { fields: Record<string, unknown> } }>(env.users.partner, 'POST', `/v1/leads/${leadId}/${action}`, body);

/** The admin saves a pipeline (a new one, or a new draft of one) and publishes it. */
async function publish(env: PropellerEnv, def: PipelineDefinition, replaces: boolean): Promise<void> {
  const { admin } = env.users;
  await env.call(admin, replaces ? 'PUT' : 'POST', replaces ? `/v1/pipelines/${def.key}` : '/v1/pipelines', def);
  await env.call(admin, 'POST', `/v1/pipelines/${def.key}/publish`);
}

const leadConverted: HistoryScenario = {
  name: 'lead-converted',
  description: 'partner lead created, accepted and converted into a new opportunity, whose instance the lead run starts and leaves open',
  async run(env) {
    const created = await createLead(env);
    const lead = onlyInstance(created);
    await leadAction(env, created.id, 'accept');
    const converted = await leadAction(env, created.id, 'convert', { opportunity: { fields: { amount: 12_000 } } });
    const opportunityId = String(converted.record.fields.opportunityId);
    await env.client.workflow.getHandle(lead).result();
    // The lead's run starts the opportunity's instance after the convert has answered.
    const opportunity = await until(`the instance of opportunity ${opportunityId}`, async () => {
      const record = await env.call<CreatedRecord>(env.users.sales, 'GET', `/v1/records/opportunity/${opportunityId}`);
      return record.instances[0]?.instanceId;
    });
    return [
      { name: 'lead-converted', workflowId: lead },
      { name: 'opportunity-started', workflowId: opportunity },
    ];
  },
};

const leadExpired: HistoryScenario = {
  name: 'lead-expired',
  description: 'partner lead created with expiresAt 3 s ahead: Pending → Expired, where its run ends',
  async run(env) {
    const lead = onlyInstance(await createLead(env, { expiresAt: inMs(3_000) }));
    await untilStage(env, lead, LEAD_STAGES.expired);
    return [{ name: 'lead-expired', workflowId: lead }];
  },
};

const leadReminded: HistoryScenario = {
  name: 'lead-reminded',
  description: 'partner lead (reminders 3 s before, 6 s to convert) created with expiresAt 5 s ahead: reminded in Pending, accepted, reminded again, Accepted → Expired',
  async run(env) {
    await publish(env, partnerLeadTemplate({ remindBefore: '3s', convertWithin: '6s' }), true);
    const created = await createLead(env, { expiresAt: inMs(5_000) });
    const lead = onlyInstance(created);
    const reminders = async () => {
      const { items } = await env.call<{ items: Array<{ kind: string }> }>(env.users.sales, 'GET', `/v1/instances/${encodeURIComponent(lead)}/events`);
      return items.filter((e) => e.kind === 'deadline_approaching').length;
    };
    await until(`the Pending reminder of ${lead}`, async () => ((await reminders()) >= 1 ? true : undefined));
    await leadAction(env, created.id, 'accept');
    await untilStage(env, lead, LEAD_STAGES.expired);
    if ((await reminders()) !== 2) throw new Error(`${lead} expired after ${await reminders()} reminders, not 2`);
    return [{ name: 'lead-reminded', workflowId: lead }];
  },
};

const FOLLOW_UP_KEY = `${PARTNER_LEAD_KEY}-follow-up`;

const leadTrigger: HistoryScenario = {
  name: 'lead-trigger',
  description: 'a lead matching two pipelines: the record trigger writes it and starts both instances',
  async run(env) {
    await publish(env, partnerLeadTemplate({ key: FOLLOW_UP_KEY, stageField: 'followUpStatus' }), false);
    const created = await createLead(env);
    if (created.instances.length !== 2) throw new Error(`lead ${created.id} started ${created.instances.length} instances, not 2`);
    // The trigger's workflow id is the API's own business; the task queue is this scenario's alone.
    const query = `TaskQueue='${env.taskQueue}' AND WorkflowType='${RECORD_TRIGGER_WORKFLOW}'`;
    const trigger = await until('the record trigger run', async () => {
      for await (const wf of env.client.workflow.list({ query })) return wf.workflowId;
      return undefined;
    });
    await env.client.workflow.getHandle(trigger).result();
    return [{ name: 'lead-trigger', workflowId: trigger }];
  },
};

export const LEAD_SCENARIOS = [leadConverted, leadExpired, leadReminded, leadTrigger];
