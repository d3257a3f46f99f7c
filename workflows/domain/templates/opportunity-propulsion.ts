import type { PipelineDefinition, StageDef, TaskDef } from '../types';

export const OPPORTUNITY_KEY = 'opportunity-propulsion';

const owner = { kind: 'owner' } as const;
const edit = (key: string, name: string, fields: string[], description?: string): TaskDef => ({
  key, name, description, kind: 'edit_fields', fields, assignee: owner, required: true,
});
const create = (key: string, name: string, recordType: string, linkField: string): TaskDef => ({
  key, name, kind: 'create_record', recordType, linkField, assignee: owner, required: true,
});
const stage = (key: string, name: string, winRate: number, extra: Partial<StageDef> = {}): StageDef => ({
  key, name, type: 'normal', winRate, ...extra,
});

/**
 * Opportunity propulsion (seed 001): eight stages with win rates for the
 * forecast; each working stage hands its owner a task and moves on by itself
 * once it is done. Stages may be skipped and moved back; Lost needs a reason
 * and may be reactivated.
 */
export function opportunityPropulsionTemplate(key = OPPORTUNITY_KEY): PipelineDefinition {
  return {
    key,
    name: 'Opportunity propulsion',
    description: 'From demand analysis to a signed contract, with the task each stage needs.',
    objectType: 'opportunity',
    stageField: 'stage',
    scope: { departments: ['Sales'], roles: ['sales', 'admin'] },
    trigger: { onCreate: true, manual: true, reinitiate: true },
    multipleRuns: true,
    policy: { reversible: true, skippable: true, repeatable: true, reactivatable: true },
    stages: [
      stage('demand_analysis', 'Demand analysis', 10, {
        initial: true,
        tasks: [edit('upload_proposal', 'Please upload the proposal', ['schemeDesign'], 'Sales and implementation complete it together')],
        autoAdvance: { to: 'telephone' },
      }),
      stage('telephone', 'Telephone communication', 20),
      stage('door_to_door', 'Door-to-door communication', 30, {
        tasks: [edit('customer_demo', 'Please come to the customer demo', ['demoSatisfaction'])],
        autoAdvance: { to: 'quotation' },
      }),
      stage('quotation', 'Plan quotation', 50, {
        tasks: [create('create_quotation', 'Please provide the customer with a suitable quotation', 'quotation', 'quotationId')],
        autoAdvance: { to: 'negotiation' },
      }),
      stage('negotiation', 'Business negotiation', 70, {
        tasks: [
          edit('record_negotiation', 'Please record the content of the negotiation', [
            'finalPlan',
            'implementationStart',
            'implementationEnd',
            'finalDeliverable',
          ]),
        ],
        autoAdvance: { to: 'contract' },
      }),
      stage('contract', 'Contract signing', 90, {
        tasks: [create('sign_contract', 'Sign a contract with the customer', 'contract', 'contractId')],
        autoAdvance: { to: 'won' },
      }),
      stage('won', 'Won', 100, { type: 'success' }),
      stage('lost', 'Lost', 0, { type: 'failure', rules: { requiredFields: ['lostReason'] } }),
    ],
  };
}
