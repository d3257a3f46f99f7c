import { opaqueInstanceId } from '../../params';
import { z } from 'zod';
import { anyJson, Assignee, Deadline, InstanceStatus, isoTime, listOf, pageOf, StageType, TaskKind } from './shared';

const COMPANY = 'cmp_Hq2v8Rk1Xa4Z';
const OWNER = 'usr_Tn3c0Wd9Lp2M';
const RECORD_ID = 'opp_4f1d2c9a7b3e8d60';
const INSTANCE_ID = `pipeline:${COMPANY}:deals:opportunity:${RECORD_ID}`;
const OPAQUE_ID = opaqueInstanceId(INSTANCE_ID);

const recordExample = {
  id: RECORD_ID,
  type: 'opportunity',
  ownerId: OWNER,
  creatorId: OWNER,
  companyId: COMPANY,
  fields: { name: 'Acme rollout', amount: 48000, stage: 'qualify' },
  archived: false,
  version: 3,
  participants: { users: [], companies: [] },
  privateFields: [],
};
const times = { createdAt: '2026-12-01T09:30:00.000Z', updatedAt: '2026-12-07T10:02:11.000Z' };

/** The part of a record every answer about it holds, with fields private to the owner's company removed for everyone else. */
const recordShape = {
  id: z.string(),
  type: z.string().meta({ description: 'the object type: lead, opportunity, account, contact, order, campaign, partner, or a custom type' }),
  ownerId: z.string(),
  creatorId: z.string().optional(),
  companyId: z.string().meta({ description: 'the owning (sourcing) company' }),
  partnerCompanyId: z.string().optional().meta({ description: 'the partner company the record is assigned to' }),
  contactId: z.string().optional(),
  fields: z.record(z.string(), anyJson),
  archived: z.boolean(),
  version: z.number().int().meta({ description: 'changes with every write; the ETag, and what If-Match names' }),
  participants: z.object({ users: z.array(z.string()), companies: z.array(z.string()) }),
  privateFields: z.array(z.string()).meta({ description: "fields hidden from everyone outside the owner's company in the current stage" }),
};

export const InstanceRecord = z.object(recordShape).meta({ id: 'InstanceRecord', examples: [recordExample] });
export const ObjectRecord = z.object({ ...recordShape, createdAt: isoTime, updatedAt: isoTime }).meta({ id: 'Record', examples: [{ ...recordExample, ...times }] });

export const TriggerOutcome = z.object({ instanceId: z.string(), outcome: z.enum(['started', 'updated', 'ignored', 'closed']) }).meta({ id: 'TriggerOutcome' });
export const CreatedRecord = ObjectRecord.extend({
  instances: z.array(TriggerOutcome).meta({ description: "what each pipeline's trigger did with the new record" }),
}).meta({ id: 'CreatedRecord', examples: [{ ...recordExample, version: 1, ...times, instances: [{ instanceId: INSTANCE_ID, outcome: 'started' }] }] });
export const Task = z
  .object({
    id: z.string(),
    key: z.string(),
    stage: z.string(),
    name: z.string(),
    description: z.string().optional(),
    kind: TaskKind,
    assignee: Assignee,
    required: z.boolean(),
    status: z.enum(['open', 'done']),
    createdAt: isoTime,
    doneAt: isoTime.optional(),
    doneBy: z.string().optional(),
  })
  .meta({ id: 'Task' });

const taskExample = {
  id: `${INSTANCE_ID}:qualify:budget`, key: 'budget', stage: 'qualify', name: 'Confirm the budget',
  kind: { kind: 'edit_fields', fields: ['amount'] }, assignee: { kind: 'owner' }, required: true, status: 'open', createdAt: '2026-12-07T10:02:11.000Z',
} as const;

export const Instance = z
  .object({
    eventId: z.string().optional().meta({ description: 'the audit event of the step this answer made (moves, task completions, lead actions, reactivation, cancel)' }),
    id: z.string().meta({ description: 'the opaque instance id (ins_…): use it in URLs; every instance route also takes instanceId' }),
    instanceId: z.string().meta({ description: 'the readable id, as Temporal and its Web UI know the instance' }),
    pipeline: z.object({ key: z.string(), name: z.string(), version: z.number().int() }),
    status: InstanceStatus,
    stage: z.object({ key: z.string(), name: z.string(), type: StageType, winRate: z.number().nullable() }),
    stageEnteredAt: isoTime,
    record: InstanceRecord,
    history: z.array(
      z.object({
        stage: z.string(),
        stageName: z.string(),
        enteredAt: isoTime,
        leftAt: isoTime.optional(),
        by: z.string().meta({ description: 'the user (or system) that moved it in' }),
        reason: z.string().optional(),
        eventId: z.string(),
        durationMs: z.number().meta({ description: 'time in the stage, until now for the current one' }),
      }),
    ),
    tasks: z.object({ open: z.array(Task), done: z.array(Task) }),
    deadline: Deadline.extend({ toName: z.string() }).nullable(),
    allowedMoves: z.array(z.object({ key: z.string(), name: z.string() })).meta({ description: 'the stages this caller may move it to now' }),
    amount: z.number().optional().meta({ description: "the record's amount, as the forecast sums it; absent for a caller outside the owner's company" }),
    weightedAmount: z.number().optional().meta({ description: "amount × the stage's win rate / 100; absent for a caller outside the owner's company" }),
    updatedAt: isoTime.meta({ description: "the instance's last change: the order of GET /v1/instances?sort=updatedAt" }),
  })
  .meta({
    id: 'Instance',
    description: 'An instance as the caller sees it: GET /v1/instances/{id}, a start, a move, a task completion and every lead action answer this.',
    examples: [
      {
        eventId: `${INSTANCE_ID}:c1:2`,
        id: OPAQUE_ID,
        instanceId: INSTANCE_ID,
        pipeline: { key: 'deals', name: 'Deals', version: 2 },
        status: 'running',
        stage: { key: 'qualify', name: 'Qualify', type: 'normal', winRate: 25 },
        stageEnteredAt: '2026-12-07T10:02:11.000Z',
        record: recordExample,
        history: [
          { stage: 'new', stageName: 'New', enteredAt: '2026-12-01T09:30:00.000Z', leftAt: '2026-12-07T10:02:11.000Z', by: OWNER, eventId: `${INSTANCE_ID}:c1:1`, durationMs: 520931000 },
          { stage: 'qualify', stageName: 'Qualify', enteredAt: '2026-12-07T10:02:11.000Z', by: OWNER, reason: 'call booked', eventId: `${INSTANCE_ID}:c1:2`, durationMs: 3600000 },
        ],
        tasks: { open: [taskExample], done: [] },
        deadline: { at: '2026-12-21T10:02:11.000Z', to: 'lost', source: 'after', toName: 'Lost' },
        allowedMoves: [{ key: 'proposal', name: 'Proposal' }, { key: 'lost', name: 'Lost' }],
        amount: 48000,
        weightedAmount: 12000,
        updatedAt: '2026-12-07T10:02:11.000Z',
      },
    ],
  });

/** What a list reads of the record, from the instance view alone (no read of the record per item). */
export const InstanceRecordRef = InstanceRecord.pick({ id: true, type: true, ownerId: true, companyId: true, partnerCompanyId: true, contactId: true });

const listItemExample = {
  id: OPAQUE_ID,
  instanceId: INSTANCE_ID,
  pipeline: { key: 'deals', name: 'Deals', version: 2 },
  status: 'running',
  stage: { key: 'qualify', name: 'Qualify', type: 'normal', winRate: 25 },
  stageEnteredAt: '2026-12-07T10:02:11.000Z',
  record: { id: RECORD_ID, type: 'opportunity', ownerId: OWNER, companyId: COMPANY },
  deadline: { at: '2026-12-21T10:02:11.000Z', to: 'lost', source: 'after', toName: 'Lost' },
  amount: 48000,
  weightedAmount: 12000,
  updatedAt: '2026-12-07T10:02:11.000Z',
} as const;

/**
 * The Instance shape without its heavy members: every member it has is the
 * detail's, with the detail's name and type, so one client type reads both.
 */
export const InstanceListItem = Instance.omit({ eventId: true, history: true, tasks: true, allowedMoves: true })
  .extend({ record: InstanceRecordRef.meta({ description: "the record's identity: read GET /v1/records/{type}/{id} (or the instance) for its fields" }) })
  .meta({
    id: 'InstanceListItem',
    description:
      "An Instance without history, tasks, allowedMoves and eventId, and with only its record's identity (id, type, ownerId, companyId, partnerCompanyId, contactId): " +
      'what GET /v1/instances?shape=instance and GET /v1/records/{type}/{id}?shape=instance answer for each instance.',
    examples: [listItemExample],
  });

const summaryExample = {
  id: OPAQUE_ID, instanceId: INSTANCE_ID, chainId: 'c1', pipelineKey: 'deals', pipelineName: 'Deals', version: 2, objectType: 'opportunity',
  recordId: RECORD_ID, companyId: COMPANY, ownerId: OWNER, status: 'running', stage: 'qualify', stageType: 'normal',
  stageEnteredAt: '2026-12-07T10:02:11.000Z', amount: 48000, winRate: 25, weightedAmount: 12000, seq: 2, updatedAt: '2026-12-07T10:02:11.000Z',
} as const;

/** The list's form before one Instance shape: answered without shape=instance for this release, with a Deprecation header. */
export const InstanceSummary = z
  .object({
    id: z.string().meta({ description: 'the opaque instance id (ins_…): use it in URLs; every instance route also takes instanceId' }),
    instanceId: z.string(),
    chainId: z.string(),
    pipelineKey: z.string(),
    pipelineName: z.string(),
    version: z.number().int(),
    objectType: z.string(),
    recordId: z.string(),
    companyId: z.string(),
    ownerId: z.string(),
    partnerCompanyId: z.string().optional(),
    contactId: z.string().optional(),
    status: InstanceStatus,
    stage: z.string(),
    stageType: StageType,
    stageEnteredAt: isoTime,
    deadline: Deadline.optional(),
    amount: z.number().optional().meta({ description: "the record's amount; absent for a caller outside the owner's company" }),
    winRate: z.number().optional(),
    weightedAmount: z.number().optional(),
    seq: z.number().int(),
    updatedAt: isoTime,
  })
  .meta({
    id: 'InstanceSummary',
    deprecated: true,
    description: 'Deprecated: the default of GET /v1/instances in this release only (Deprecation header); ask shape=instance for InstanceListItem. 1.2 makes that the default.',
    examples: [summaryExample],
  });

export const RecordWithInstances = ObjectRecord.extend({
  instances: z.array(InstanceListItem).meta({ description: 'the instances bound to it, in the Instance shape (with shape=instance)' }),
}).meta({ id: 'RecordWithInstances', examples: [{ ...recordExample, ...times, instances: [listItemExample] }] });

/** A record's instances before one Instance shape, stage as a string: without shape=instance for this release, with a Deprecation header. */
export const RecordWithInstanceSummaries = ObjectRecord.extend({
  instances: z.array(z.object({ instanceId: z.string(), stage: z.string(), status: InstanceStatus })).meta({ description: 'the instances bound to it' }),
}).meta({
  id: 'RecordWithInstanceSummaries',
  deprecated: true,
  description: 'Deprecated: the default of GET /v1/records/{type}/{id} in this release only (Deprecation header); ask shape=instance for RecordWithInstances.',
  examples: [{ ...recordExample, ...times, instances: [{ instanceId: INSTANCE_ID, stage: 'qualify', status: 'running' }] }],
});

const eventExample = {
  eventId: `${INSTANCE_ID}:c1:2`, instanceId: INSTANCE_ID, recordId: RECORD_ID, pipelineKey: 'deals', kind: 'moved',
  actor: { kind: 'user', userId: OWNER, companyId: COMPANY }, at: '2026-12-07T10:02:11.000Z', from: 'new', to: 'qualify', reason: 'call booked',
} as const;

export const AuditEvent = z
  .object({
    eventId: z.string(),
    instanceId: z.string(),
    recordId: z.string(),
    pipelineKey: z.string(),
    kind: z.enum(['started', 'moved', 'deadline_fired', 'deadline_approaching', 'auto_advanced', 'task_completed', 'record_updated', 'cancelled', 'trigger_ignored']),
    actor: z.object({ kind: z.enum(['user', 'system']), userId: z.string(), companyId: z.string().optional() }),
    at: isoTime,
    from: z.string().optional(),
    to: z.string().optional(),
    reason: z.string().optional(),
    idempotencyKey: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditEvent', examples: [eventExample] });

export const RecordPage = pageOf(ObjectRecord, 'RecordPage', { ...recordExample, ...times });
export const InstancePage = pageOf(InstanceListItem, 'InstancePage', listItemExample);
export const InstanceSummaryPage = pageOf(InstanceSummary, 'InstanceSummaryPage', summaryExample, {
  deprecated: true,
  description: 'Deprecated: what GET /v1/instances answers without shape=instance in this release (Deprecation header); 1.2 answers InstancePage by default.',
});
export const AuditEventList = listOf(AuditEvent, 'AuditEventList', eventExample);
