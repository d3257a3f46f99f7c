import { PageQuery } from '../cursor';
import { CancelBody, CompleteTaskBody, AnalyticsParams, ForecastQuery, InstanceListQuery, MoveBody, ReactivateBody, StartBody } from '../schemas/instances';
import { CloseBody, ConvertBody, DeclineBody, EmptyBody, ExpirationBody, ReassignBody } from '../schemas/leads';
import { ObjectTypeParam, RecordCreateBody, RecordGetQuery, RecordListQuery, RecordPatchBody, RecordSearchBody } from '../schemas/records';
import { ScorecardParams } from '../schemas/scorecard';
import * as Out from '../schemas/responses';
import type { RouteSpec } from './route-spec';

const type = { type: ObjectTypeParam };
const instanceView = { status: 200, description: 'the instance: stage, history, tasks, next deadline, the moves this caller may make', schema: Out.Instance } as const;

/** Every record route refuses a type the caller's company has not registered (GET /v1/object-types). */
const UNKNOWN_TYPE = 'A type not in GET /v1/object-types: 404 unknown_object_type, and nothing is read or written.';

const records: RouteSpec[] = [
  {
    method: 'post', path: '/v1/records/:type', operationId: 'createRecord', tag: 'records', summary: "Create a record; fires the pipelines' triggers",
    description: UNKNOWN_TYPE,
    params: type, body: RecordCreateBody, ok: { status: 201, description: 'the record (ETag: its version), with what each trigger did', schema: Out.CreatedRecord, etag: true }, errors: [404, 422, 503],
  },
  {
    method: 'get', path: '/v1/records/:type', operationId: 'listRecords', tag: 'records', summary: 'Records the caller may see',
    description: UNKNOWN_TYPE,
    params: type, query: RecordListQuery, ok: { status: 200, description: 'a page of records', schema: Out.RecordPage }, errors: [404],
  },
  {
    method: 'post', path: '/v1/records/:type/search', operationId: 'searchRecords', tag: 'records', summary: 'Search records with the filter language, newest first',
    description: UNKNOWN_TYPE,
    params: type, body: RecordSearchBody, ok: { status: 200, description: 'a page of matches (a call reads at most 1,000 records: a short page may still have a nextCursor)', schema: Out.RecordPage }, errors: [404],
  },
  {
    method: 'get', path: '/v1/records/:type/:id', operationId: 'getRecord', tag: 'records', summary: 'One record with its instances',
    description:
      'With shape=instance its instances are InstanceListItems (stage as { key, name, type, winRate }). Without it, for this release only, they are ' +
      '{ instanceId, stage, status } with stage a string (RecordWithInstanceSummaries, deprecated: Deprecation and Link rel="deprecation"); 1.2 makes shape=instance the default. ' +
      UNKNOWN_TYPE,
    params: type, query: RecordGetQuery, deprecatedDefault: true,
    ok: { status: 200, description: 'the record (ETag: its version)', schema: Out.RecordWithInstances, etag: true }, errors: [404],
  },
  {
    method: 'patch', path: '/v1/records/:type/:id', operationId: 'updateRecord', tag: 'records', summary: 'Change fields (If-Match or version for optimistic concurrency)',
    description: UNKNOWN_TYPE,
    params: type, body: RecordPatchBody, ifMatch: true, ok: { status: 200, description: 'the record (ETag: its version)', schema: Out.ObjectRecord, etag: true }, errors: [403, 404, 409, 412, 422, 503],
  },
  {
    method: 'get', path: '/v1/records/:type/:id/events', operationId: 'listRecordEvents', tag: 'records', summary: "A record's audit trail",
    description: UNKNOWN_TYPE,
    params: type, query: PageQuery, ok: { status: 200, description: 'the events', schema: Out.AuditEventList }, errors: [404],
  },
];

const instances: RouteSpec[] = [
  {
    method: 'post', path: '/v1/instances', operationId: 'startInstance', tag: 'instances', summary: 'Start a pipeline on a record, or start a finished instance again',
    description: "Checked against the pipeline's scope and filter: 409 filter_not_matched names each failed condition's path and operator.",
    body: StartBody, idempotent: true, ok: { ...instanceView, status: 201 }, errors: [403, 404, 409, 422, 503],
  },
  {
    method: 'get', path: '/v1/instances', operationId: 'listInstances', tag: 'instances', summary: "Instances of the caller's company's records and of those assigned to it",
    description:
      'Admins included. With shape=instance the items are InstanceListItems: the Instance shape without history, tasks and allowedMoves. Without it, for this ' +
      'release only, they are the deprecated InstanceSummary (stage a string; InstanceSummaryPage), with Deprecation and Link rel="deprecation"; 1.2 makes shape=instance the default.',
    query: InstanceListQuery, deprecatedDefault: true, ok: { status: 200, description: 'a page of instances (with shape=instance)', schema: Out.InstancePage },
  },
  { method: 'get', path: '/v1/instances/:id', operationId: 'getInstance', tag: 'instances', summary: 'One instance', ok: instanceView, errors: [404, 503] },
  {
    method: 'get', path: '/v1/instances/:id/events', operationId: 'listInstanceEvents', tag: 'instances', summary: "An instance's audit trail",
    query: PageQuery, ok: { status: 200, description: 'the events', schema: Out.AuditEventList }, errors: [404],
  },
  {
    method: 'post', path: '/v1/instances/:id/moves', operationId: 'moveInstance', tag: 'instances', summary: 'Move to another stage',
    description: 'A finished instance whose pipeline reactivates is reopened by the move, in a new run.',
    body: MoveBody, idempotent: true, ok: instanceView, errors: [404, 409, 503],
  },
  {
    method: 'post', path: '/v1/instances/:id/tasks/:taskId/complete', operationId: 'completeTask', tag: 'instances', summary: 'Complete a task',
    description: 'Fill in its fields, or for a create_record task link a record of its type (422 if there is none the caller sees) or create one.',
    body: CompleteTaskBody, bodyOptional: true, idempotent: true, ok: instanceView, errors: [404, 409, 422, 503],
  },
  {
    method: 'post', path: '/v1/instances/:id/reactivate', operationId: 'reactivateInstance', tag: 'instances', summary: 'Reopen a finished instance in a new run under the same id',
    description: 'One that entered an outcome stage, from its final state, when the pipeline reactivates.',
    body: ReactivateBody, bodyOptional: true, idempotent: true, ok: instanceView, errors: [404, 409, 503],
  },
  {
    method: 'post', path: '/v1/instances/:id/cancel', operationId: 'cancelInstance', tag: 'instances', summary: "Cancel an instance of the admin's own company",
    description: "Another company's: 404.", body: CancelBody, idempotent: true, ok: instanceView, errors: [403, 404, 409, 503],
  },
  {
    method: 'get', path: '/v1/forecast', operationId: 'getForecast', tag: 'forecast', summary: 'Weighted value of open opportunities by stage and owner',
    query: ForecastQuery, ok: { status: 200, description: 'totals by stage and by owner', schema: Out.Forecast }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/analytics', operationId: 'getPipelineFunnel', tag: 'forecast', summary: "A pipeline's funnel over [from, to)",
    description: 'Default the last 30 days, at most 366: per stage entered, left, left by deadline, in it now, conversion to each next stage, median and p90 time in stage; outcomes and median time to an outcome.',
    query: AnalyticsParams, ok: { status: 200, description: 'the funnel (as an SVG chart when Accept prefers image/svg+xml)', schema: Out.Funnel, alternative: 'image/svg+xml' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/analytics.svg', operationId: 'getPipelineFunnelSvg', tag: 'forecast', summary: 'The same funnel as an SVG chart, rendered on the server',
    description: "A bar per stage as long as its entered count, outcomes in their colours, each stage's figures; errors are JSON.",
    query: AnalyticsParams, ok: { status: 200, description: 'the funnel as an SVG image', contentType: 'image/svg+xml' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/partners/scorecard', operationId: 'getPartnerScorecard', tag: 'forecast', summary: 'Per partner company of a Partner lead program over [from, to)',
    description: 'Leads received, accepted, declined, expired, converted; acceptance and conversion rates; median time to accept and from accept to convert (a partner sees only its own row).',
    query: ScorecardParams, ok: { status: 200, description: 'the scorecard, per owner program', schema: Out.Scorecard }, errors: [403, 404],
  },
];

const lead = (action: string, operationId: string, summary: string, spec: Partial<RouteSpec> = {}): RouteSpec => ({
  method: 'post', path: `/v1/leads/:id/${action}`, operationId, tag: 'leads', summary, idempotent: true, ok: instanceView, errors: [404, 409, 503], ...spec,
});

const leads: RouteSpec[] = [
  lead('accept', 'acceptLead', 'Accept a lead (the partner)', { body: EmptyBody, bodyOptional: true }),
  lead('decline', 'declineLead', 'Decline a lead (the partner)', { body: DeclineBody }),
  lead('convert', 'convertLead', 'Convert a lead: link an opportunity or create one from it', { body: ConvertBody, errors: [404, 409, 422, 503] }),
  lead('close', 'closeLead', 'Close a lead as not converted', { body: CloseBody }),
  lead('reassign', 'reassignLead', 'Send a lead to another partner', { body: ReassignBody, errors: [404, 409, 422, 503] }),
  {
    method: 'put', path: '/v1/leads/:id/expiration', operationId: 'setLeadExpiration', tag: 'leads', summary: "Set a lead's expiration date (the sourcing company)",
    body: ExpirationBody, ok: { status: 200, description: 'the lead record', schema: Out.ObjectRecord }, errors: [403, 404, 409, 422, 503],
  },
];

/** Records, pipeline instances, the forecast and the partner lead program. */
export const workRoutes: RouteSpec[] = [...records, ...instances, ...leads];
