/** Data factories for the domain unit tests (imported by *.test.ts only). */
import type { Actor, InstanceState, PipelineDefinition, RecordView, StageDef, TaskState } from './types';

export const NOW = '2025-03-01T10:00:00.000Z';
export const DAY = 86_400_000;

export function buildRecord(overrides: Partial<RecordView> = {}): RecordView {
  return {
    id: 'rec-1',
    type: 'lead',
    ownerId: 'u-owner',
    creatorId: 'u-creator',
    companyId: 'c-source',
    partnerCompanyId: 'c-partner',
    fields: {},
    archived: false,
    version: 1,
    participants: { users: [], companies: [] },
    privateFields: [],
    ...overrides,
  };
}

export function buildActor(overrides: Partial<Actor> = {}): Actor {
  return { kind: 'user', userId: 'u-other', companyId: 'c-elsewhere', roles: [], ...overrides };
}

export const owner = buildActor({ userId: 'u-owner', companyId: 'c-source', roles: ['sales'] });
export const partnerUser = buildActor({ userId: 'u-partner', companyId: 'c-partner', roles: ['partner'] });
export const stranger = buildActor();

export function buildDefinition(stages: StageDef[], overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return {
    key: 'test',
    name: 'Test pipeline',
    objectType: 'lead',
    stageField: 'status',
    trigger: { onCreate: true, manual: true, reinitiate: false },
    multipleRuns: true,
    stages,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    ...overrides,
  };
}

/** A linear pipeline a → b → c → d, then won (success) and lost (failure). */
export function linearDefinition(overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return buildDefinition(
    [
      { key: 'a', name: 'A', type: 'normal', initial: true },
      { key: 'b', name: 'B', type: 'normal' },
      { key: 'c', name: 'C', type: 'normal' },
      { key: 'd', name: 'D', type: 'normal' },
      { key: 'won', name: 'Won', type: 'success' },
      { key: 'lost', name: 'Lost', type: 'failure' },
    ],
    overrides,
  );
}

export function buildTask(overrides: Partial<TaskState> = {}): TaskState {
  return {
    id: 'ev-1:t1',
    key: 't1',
    stage: 'a',
    name: 'Task one',
    kind: { kind: 'edit_fields', fields: ['amount'] },
    assignee: { kind: 'owner' },
    required: true,
    status: 'open',
    createdAt: NOW,
    ...overrides,
  };
}

export function buildState(overrides: Partial<InstanceState> = {}): InstanceState {
  const stage = overrides.stage ?? 'a';
  return {
    instanceId: 'inst-1',
    chainId: 'chain-1',
    pipelineKey: 'test',
    pipelineName: 'Test pipeline',
    version: 1,
    objectType: 'lead',
    recordId: 'rec-1',
    status: 'running',
    stage,
    stageEnteredAt: NOW,
    history: [{ stage, enteredAt: NOW, by: 'u-owner', eventId: 'ev-0' }],
    tasks: [],
    record: buildRecord(),
    seq: 1,
    ...overrides,
  };
}

/** Shaped like the built-in Partner lead template. */
export function partnerLeadDefinition(): PipelineDefinition {
  const partner = { partnerCompany: true };
  return buildDefinition(
    [
      {
        key: 'pending',
        name: 'Pending',
        type: 'normal',
        initial: true,
        effects: { setFields: [{ field: 'expiresAt', value: { kind: 'now', offset: '7d' }, onlyIfEmpty: true }] },
        deadline: { atField: 'expiresAt', to: 'expired' },
      },
      {
        key: 'accepted',
        name: 'Accepted',
        type: 'normal',
        rules: { enter: partner },
        effects: {
          setFields: [
            { field: 'acceptedAt', value: { kind: 'now' } },
            { field: 'expiresAt', value: { kind: 'now', offset: '30d' } },
          ],
          invite: { partnerCompany: true },
        },
        deadline: { atField: 'expiresAt', to: 'expired' },
      },
      { key: 'converted', name: 'Closed-Converted', type: 'success', rules: { enter: partner, requiredFields: ['acceptedAt', 'opportunityId'] } },
      { key: 'not_converted', name: 'Closed-Not Converted', type: 'failure', rules: { enter: partner, requiredFields: ['acceptedAt'] } },
      {
        key: 'declined',
        name: 'Declined',
        type: 'failure',
        rules: { enter: partner, requireReason: true },
        effects: { archive: true, setFields: [{ field: 'declinedAt', value: { kind: 'now' } }] },
      },
      { key: 'expired', name: 'Expired', type: 'invalid', rules: { enter: {} } },
    ],
    { key: 'partner-lead', name: 'Partner lead', interconnection: { enabled: true, partnerCompanyField: 'partnerCompanyId' } },
  );
}
