import { PageQuery } from '../cursor';
import { BoardQuery, CancelBody, CompleteTaskBody, AnalyticsParams, ForecastQuery, InstanceListQuery, MoveBody, ReactivateBody, StartBody } from '../schemas/instances';
import { CloseBody, ConvertBody, DeclineBody, EmptyBody, ExpirationBody, ReassignBody } from '../schemas/leads';
import { ObjectTypeParam, RecordCreateBody, RecordGetQuery, RecordListQuery, RecordPatchBody, RecordSearchBody } from '../schemas/records';
import { ScorecardParams } from '../schemas/scorecard';
import * as Out from '../schemas/responses';
import type { RouteSpec } from './route-spec';

const type = { type: ObjectTypeParam };
const instanceView = { status: 200, description: 'the instance: stage, history, tasks, next deadline, the moves this caller may make', schema: Out.Instance } as const;

/** Every record route refuses a type the caller's company has not registered (GET /v1/object-types). */
const UNKNOWN_TYPE = 'A type not in GET /v1/object-types: 404 unknown_object_type, and nothing is read or written.';

type Codes = NonNullable<RouteSpec['codes']>;

/** What a record's fields may be refused for, wherever they are written (a record, a task's new record, a converted lead). */
const RECORD_FIELDS: Codes = [
  'forbidden', 'unknown_owner', 'inactive_user', 'unknown_partner', 'partner_not_in_program', { code: 'stage_field', status: 422 },
  'linked_record_not_found', { code: 'wrong_record_type', status: 422 },
];

/** A move's refusals by the pipeline rules (workflows/domain/moves.ts), the instance's own, and the links it sets. */
const MOVE_REFUSALS: Codes = [
  'forbidden', 'not_found', 'not_allowed', 'missing_fields', 'missing_tasks', { code: 'reason_required', status: 409 }, 'unknown_stage', 'same_stage',
  'final_stage', 'not_reversible', 'not_skippable', 'not_repeatable', 'invalid_transition', 'not_running', 'refused',
  'linked_record_not_found', { code: 'wrong_record_type', status: 422 },
];

/** A task completion's refusals (workflows/domain/effects.ts, task-records.ts). */
const TASK_REFUSALS: Codes = [
  'not_found', 'not_running', 'unknown_task', 'task_done', 'not_allowed', 'unexpected_fields', 'missing_fields', 'not_a_create_record_task',
  'wrong_record_type', 'refused',
];

const records: RouteSpec[] = [
  {
    method: 'post', path: '/v1/records/:type', operationId: 'createRecord', tag: 'records', summary: "Create a record; fires the pipelines' triggers",
    description: UNKNOWN_TYPE,
    params: type, body: RecordCreateBody, ok: { status: 201, description: 'the record (ETag: its version), with what each trigger did', schema: Out.CreatedRecord, etag: true }, temporal: true, codes: [...RECORD_FIELDS, 'instance_starting', 'unknown_object_type'],
  },
  {
    method: 'get', path: '/v1/records/:type', operationId: 'listRecords', tag: 'records', summary: 'Records the caller may see',
    description: UNKNOWN_TYPE,
    params: type, query: RecordListQuery, ok: { status: 200, description: 'a page of records', schema: Out.RecordPage }, codes: ['forbidden', 'unknown_object_type'],
  },
  {
    method: 'post', path: '/v1/records/:type/search', operationId: 'searchRecords', tag: 'records', summary: 'Search records with the filter language, newest first',
    description: UNKNOWN_TYPE,
    params: type, body: RecordSearchBody, ok: { status: 200, description: 'a page of matches (a call reads at most 1,000 records: a short page may still have a nextCursor)', schema: Out.RecordPage }, codes: ['forbidden', 'unknown_object_type'],
  },
  {
    method: 'get', path: '/v1/records/:type/:id', operationId: 'getRecord', tag: 'records', summary: 'One record with its instances',
    description:
      'With shape=instance its instances are InstanceListItems (stage as { key, name, type, winRate }). Without it, for this release only, they are ' +
      '{ instanceId, stage, status } with stage a string (RecordWithInstanceSummaries, deprecated: Deprecation and Link rel="deprecation"); 1.2 makes shape=instance the default. ' +
      UNKNOWN_TYPE,
    params: type, query: RecordGetQuery, deprecatedDefault: true,
    ok: { status: 200, description: 'the record (ETag: its version)', schema: Out.RecordWithInstances, etag: true }, codes: ['forbidden', 'not_found', 'unknown_object_type'],
  },
  {
    method: 'patch', path: '/v1/records/:type/:id', operationId: 'updateRecord', tag: 'records', summary: 'Change fields (If-Match or version for optimistic concurrency)',
    description: UNKNOWN_TYPE,
    params: type, body: RecordPatchBody, ifMatch: true, ok: { status: 200, description: 'the record (ETag: its version)', schema: Out.ObjectRecord, etag: true }, temporal: true, codes: [...RECORD_FIELDS, 'not_found', 'conflict', { code: 'stage_field', status: 409 }, 'not_running', 'record_busy', 'unknown_object_type'],
  },
  {
    method: 'get', path: '/v1/records/:type/:id/events', operationId: 'listRecordEvents', tag: 'records', summary: "A record's audit trail",
    description: UNKNOWN_TYPE,
    params: type, query: PageQuery, ok: { status: 200, description: 'the events', schema: Out.AuditEventList }, codes: ['forbidden', 'not_found', 'unknown_object_type'],
  },
];

const instances: RouteSpec[] = [
  {
    method: 'post', path: '/v1/instances', operationId: 'startInstance', tag: 'instances', summary: 'Start a pipeline on a record, or start a finished instance again',
    description: "Checked against the pipeline's scope and filter: 409 filter_not_matched names each failed condition's path and operator.",
    body: StartBody, idempotent: true, ok: { ...instanceView, status: 201 }, temporal: true, codes: ['forbidden', 'out_of_scope', 'not_found', 'not_allowed', 'manual_start_disabled', 'filter_not_matched', 'reinitiation_disabled', 'already_running', 'wrong_object_type', 'refused'],
  },
  {
    method: 'get', path: '/v1/instances', operationId: 'listInstances', tag: 'instances', summary: "Instances of the caller's company's records and of those assigned to it",
    description:
      'Admins included. With shape=instance the items are InstanceListItems: the Instance shape without history, tasks and allowedMoves. Without it, for this ' +
      'release only, they are the deprecated InstanceSummary (stage a string; InstanceSummaryPage), with Deprecation and Link rel="deprecation"; 1.2 makes shape=instance the default.',
    query: InstanceListQuery, deprecatedDefault: true, ok: { status: 200, description: 'a page of instances (with shape=instance)', schema: Out.InstancePage }, codes: ['forbidden'],
  },
  { method: 'get', path: '/v1/instances/:id', operationId: 'getInstance', tag: 'instances', summary: 'One instance', ok: instanceView, temporal: true, codes: ['forbidden', 'not_found'] },
  {
    method: 'get', path: '/v1/instances/:id/events', operationId: 'listInstanceEvents', tag: 'instances', summary: "An instance's audit trail",
    query: PageQuery, ok: { status: 200, description: 'the events', schema: Out.AuditEventList }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'post', path: '/v1/instances/:id/moves', operationId: 'moveInstance', tag: 'instances', summary: 'Move to another stage',
    description: 'A finished instance whose pipeline reactivates is reopened by the move, in a new run.',
    body: MoveBody, idempotent: true, ok: instanceView, temporal: true, codes: [...MOVE_REFUSALS, 'not_finished', 'not_reactivatable'],
  },
  {
    method: 'post', path: '/v1/instances/:id/tasks/:taskId/complete', operationId: 'completeTask', tag: 'instances', summary: 'Complete a task',
    description: 'Fill in its fields, or for a create_record task link a record of its type (422 if there is none the caller sees) or create one.',
    body: CompleteTaskBody, bodyOptional: true, idempotent: true, ok: instanceView, temporal: true, codes: [...TASK_REFUSALS, ...RECORD_FIELDS],
  },
  {
    method: 'post', path: '/v1/instances/:id/reactivate', operationId: 'reactivateInstance', tag: 'instances', summary: 'Reopen a finished instance in a new run under the same id',
    description: 'One that entered an outcome stage, from its final state, when the pipeline reactivates.',
    body: ReactivateBody, bodyOptional: true, idempotent: true, ok: instanceView, temporal: true, codes: [...MOVE_REFUSALS, 'not_finished', 'not_reactivatable'],
  },
  {
    method: 'post', path: '/v1/instances/:id/cancel', operationId: 'cancelInstance', tag: 'instances', summary: "Cancel an instance of the admin's own company",
    description: "Another company's: 404.", body: CancelBody, idempotent: true, ok: instanceView, temporal: true, codes: ['forbidden', 'not_found', 'not_running', 'refused'],
  },
  {
    method: 'get', path: '/v1/forecast', operationId: 'getForecast', tag: 'forecast', summary: 'Weighted value of open opportunities by stage and owner',
    query: ForecastQuery, ok: { status: 200, description: 'totals by stage and by owner', schema: Out.Forecast }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/board', operationId: 'getPipelineBoard', tag: 'forecast', summary: "A pipeline's board figures: count, amount and weighted amount per stage",
    description: 'For the owning company, from the instance views (not from a page of instances): what a board column header shows.',
    query: BoardQuery, ok: { status: 200, description: 'per stage of the newest published version, in order', schema: Out.Board }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/analytics', operationId: 'getPipelineFunnel', tag: 'forecast', summary: "A pipeline's funnel over [from, to)",
    description: 'Default the last 30 days, at most 366: per stage entered, left, left by deadline, in it now, conversion to each next stage, median and p90 time in stage; outcomes and median time to an outcome.',
    query: AnalyticsParams, ok: { status: 200, description: 'the funnel (as an SVG chart when Accept prefers image/svg+xml)', schema: Out.Funnel, alternative: 'image/svg+xml' }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/analytics.svg', operationId: 'getPipelineFunnelSvg', tag: 'forecast', summary: 'The same funnel as an SVG chart, rendered on the server',
    description: "A bar per stage as long as its entered count, outcomes in their colours, each stage's figures; errors are JSON.",
    query: AnalyticsParams, ok: { status: 200, description: 'the funnel as an SVG image', contentType: 'image/svg+xml' }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'get', path: '/v1/partners/scorecard', operationId: 'getPartnerScorecard', tag: 'forecast', summary: 'Per partner company of a Partner lead program over [from, to)',
    description: 'Leads received, accepted, declined, expired, converted; acceptance and conversion rates; median time to accept and from accept to convert (a partner sees only its own row).',
    query: ScorecardParams, ok: { status: 200, description: 'the scorecard, per owner program', schema: Out.Scorecard }, codes: ['forbidden', 'not_found'],
  },
];

const lead = (action: string, operationId: string, summary: string, spec: Partial<RouteSpec> = {}): RouteSpec => ({
  method: 'post', path: `/v1/leads/:id/${action}`, operationId, tag: 'leads', summary, idempotent: true, ok: instanceView, temporal: true, codes: [...MOVE_REFUSALS, 'no_instance'], ...spec,
});

const leads: RouteSpec[] = [
  lead('accept', 'acceptLead', 'Accept a lead (the partner)', { body: EmptyBody, bodyOptional: true }),
  lead('decline', 'declineLead', 'Decline a lead (the partner)', { body: DeclineBody }),
  lead('convert', 'convertLead', 'Convert a lead: link an opportunity or create one from it', { body: ConvertBody, codes: [...MOVE_REFUSALS, 'no_instance', ...RECORD_FIELDS] }),
  lead('close', 'closeLead', 'Close a lead as not converted', { body: CloseBody }),
  lead('reassign', 'reassignLead', 'Send a lead to another partner', { body: ReassignBody, codes: [...MOVE_REFUSALS, 'no_instance', 'unknown_partner', 'partner_not_in_program'] }),
  {
    method: 'put', path: '/v1/leads/:id/expiration', operationId: 'setLeadExpiration', tag: 'leads', summary: "Set a lead's expiration date (the sourcing company)",
    body: ExpirationBody, ok: { status: 200, description: 'the lead record', schema: Out.ObjectRecord }, temporal: true, codes: ['forbidden', 'not_found', 'no_instance', 'not_running', 'refused'],
  },
];

/** Records, pipeline instances, the forecast and the partner lead program. */
export const workRoutes: RouteSpec[] = [...records, ...instances, ...leads];
