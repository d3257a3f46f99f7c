import { PageQuery } from '../cursor';
import { CancelBody, CompleteTaskBody, AnalyticsParams, ForecastQuery, InstanceListQuery, MoveBody, ReactivateBody, StartBody } from '../schemas/instances';
import { CloseBody, ConvertBody, DeclineBody, EmptyBody, ExpirationBody, ReassignBody } from '../schemas/leads';
import { ObjectTypeParam, RecordCreateBody, RecordListQuery, RecordPatchBody, RecordSearchBody } from '../schemas/records';
import { ScorecardParams } from '../schemas/scorecard';
import { Responses, type RouteSpec } from './route-spec';

const type = { type: ObjectTypeParam };
const instanceView = { status: 200, description: 'the instance: stage, history, tasks, next deadline, the moves this caller may make' } as const;

const records: RouteSpec[] = [
  {
    method: 'post', path: '/v1/records/:type', tag: 'records', summary: "Create a record; fires the pipelines' triggers",
    params: type, body: RecordCreateBody, ok: { status: 201, description: 'the record (ETag: its version)' }, errors: [422, 503],
  },
  {
    method: 'get', path: '/v1/records/:type', tag: 'records', summary: 'Records the caller may see',
    params: type, query: RecordListQuery, ok: { status: 200, description: 'a page of records', schema: Responses.page },
  },
  {
    method: 'post', path: '/v1/records/:type/search', tag: 'records', summary: 'Search records with the filter language, newest first',
    params: type, body: RecordSearchBody, ok: { status: 200, description: 'a page of matches (a call reads at most 1,000 records: a short page may still have a nextCursor)', schema: Responses.page },
  },
  {
    method: 'get', path: '/v1/records/:type/:id', tag: 'records', summary: 'One record with its instances',
    params: type, ok: { status: 200, description: 'the record (ETag: its version)' }, errors: [404],
  },
  {
    method: 'patch', path: '/v1/records/:type/:id', tag: 'records', summary: 'Change fields (If-Match or version for optimistic concurrency)',
    params: type, body: RecordPatchBody, ifMatch: true, ok: { status: 200, description: 'the record (ETag: its version)' }, errors: [403, 404, 409, 412, 422, 503],
  },
  {
    method: 'get', path: '/v1/records/:type/:id/events', tag: 'records', summary: "A record's audit trail",
    params: type, query: PageQuery, ok: { status: 200, description: 'the events', schema: Responses.list }, errors: [404],
  },
];

const instances: RouteSpec[] = [
  {
    method: 'post', path: '/v1/instances', tag: 'instances', summary: "Start a pipeline on a record, or start a finished instance again (checked against the pipeline's scope and filter: 409 filter_not_matched names each failed condition's path and operator)",
    body: StartBody, idempotent: true, ok: { ...instanceView, status: 201 }, errors: [403, 404, 409, 422, 503],
  },
  {
    method: 'get', path: '/v1/instances', tag: 'instances', summary: "Instances of the caller's company's records and of those assigned to it (admins included)",
    query: InstanceListQuery, ok: { status: 200, description: 'a page of instances', schema: Responses.page },
  },
  { method: 'get', path: '/v1/instances/:id', tag: 'instances', summary: 'One instance', ok: instanceView, errors: [404, 503] },
  { method: 'get', path: '/v1/instances/:id/events', tag: 'instances', summary: "An instance's audit trail", query: PageQuery, ok: { status: 200, description: 'the events', schema: Responses.list }, errors: [404] },
  { method: 'post', path: '/v1/instances/:id/moves', tag: 'instances', summary: 'Move to another stage (a finished instance whose pipeline reactivates is reopened by the move, in a new run)', body: MoveBody, idempotent: true, ok: instanceView, errors: [404, 409, 503] },
  {
    method: 'post', path: '/v1/instances/:id/tasks/:taskId/complete', tag: 'instances',
    summary: 'Complete a task: fill in its fields, or for a create_record task link a record of its type (422 if there is none the caller sees) or create one',
    body: CompleteTaskBody, bodyOptional: true, idempotent: true, ok: instanceView, errors: [404, 409, 422, 503],
  },
  {
    method: 'post', path: '/v1/instances/:id/reactivate', tag: 'instances', summary: 'Reopen a finished instance (one that entered an outcome stage) in a new run under the same id, from its final state, when the pipeline reactivates',
    body: ReactivateBody, bodyOptional: true, idempotent: true, ok: instanceView, errors: [404, 409, 503],
  },
  {
    method: 'post', path: '/v1/instances/:id/cancel', tag: 'instances', summary: "Cancel an instance of the admin's own company (another company's: 404)",
    body: CancelBody, idempotent: true, ok: instanceView, errors: [403, 404, 409, 503],
  },
  {
    method: 'get', path: '/v1/forecast', tag: 'forecast', summary: 'Weighted value of open opportunities by stage and owner',
    query: ForecastQuery, ok: { status: 200, description: 'totals by stage and by owner' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/analytics', tag: 'forecast',
    summary: 'A pipeline\'s funnel over [from, to) (default the last 30 days, at most 366): per stage entered, left, left by deadline, in it now, conversion to each next stage, median and p90 time in stage; outcomes and median time to an outcome',
    query: AnalyticsParams, ok: { status: 200, description: 'the funnel (as an SVG chart when Accept prefers image/svg+xml)', alternative: 'image/svg+xml' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/analytics.svg', tag: 'forecast',
    summary: "The same funnel as an SVG chart, rendered on the server: a bar per stage as long as its entered count, outcomes in their colours, each stage's figures; errors are JSON",
    query: AnalyticsParams, ok: { status: 200, description: 'the funnel as an SVG image', contentType: 'image/svg+xml' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/partners/scorecard', tag: 'forecast',
    summary: 'Per partner company of a Partner lead program over [from, to): leads received, accepted, declined, expired, converted; acceptance and conversion rates; median time to accept and from accept to convert (a partner sees only its own row)',
    query: ScorecardParams, ok: { status: 200, description: 'the scorecard, per owner program' }, errors: [403, 404],
  },
];

const lead = (action: string, summary: string, spec: Partial<RouteSpec> = {}): RouteSpec => ({
  method: 'post', path: `/v1/leads/:id/${action}`, tag: 'leads', summary, idempotent: true, ok: instanceView, errors: [404, 409, 503], ...spec,
});

const leads: RouteSpec[] = [
  lead('accept', 'Accept a lead (the partner)', { body: EmptyBody, bodyOptional: true }),
  lead('decline', 'Decline a lead (the partner)', { body: DeclineBody }),
  lead('convert', 'Convert a lead: link an opportunity or create one from it', { body: ConvertBody, errors: [404, 409, 422, 503] }),
  lead('close', 'Close a lead as not converted', { body: CloseBody }),
  lead('reassign', 'Send a lead to another partner', { body: ReassignBody, errors: [404, 409, 422, 503] }),
  {
    method: 'put', path: '/v1/leads/:id/expiration', tag: 'leads', summary: "Set a lead's expiration date (the sourcing company)",
    body: ExpirationBody, ok: { status: 200, description: 'the lead record' }, errors: [403, 404, 409, 422, 503],
  },
];

/** Records, pipeline instances, the forecast and the partner lead program. */
export const workRoutes: RouteSpec[] = [...records, ...instances, ...leads];
