import { ApiKeyBody, CompanyBody, UserBody, UserPatch } from '../schemas/people';
import { PageQuery } from '../cursor';
import { PipelineDefinitionBody, VersionParam } from '../schemas/pipeline';
import { DeliveryQuery, EventFeedQuery, RedeliverBody, RotateSecretBody, TestEventBody, WebhookBody, WebhookPatch } from '../schemas/webhooks';
import { Responses, type RouteSpec } from './route-spec';

const meta: RouteSpec[] = [
  { method: 'get', path: '/healthz', tag: 'health', public: true, summary: 'The process answers', ok: { status: 200, description: 'up', schema: Responses.health } },
  {
    method: 'get', path: '/readyz', tag: 'health', public: true, summary: 'Temporal and MongoDB answer too',
    ok: { status: 200, description: 'ready', schema: Responses.ready }, errors: [503],
  },
  { method: 'get', path: '/openapi.json', tag: 'docs', public: true, summary: 'This OpenAPI 3.1 document', ok: { status: 200, description: 'the document' } },
  { method: 'get', path: '/docs', tag: 'docs', public: true, summary: 'This document, rendered', ok: { status: 200, description: 'an HTML page', contentType: 'text/html' } },
];

const people: RouteSpec[] = [
  { method: 'get', path: '/v1/me', tag: 'people', summary: 'The caller: their user and company', ok: { status: 200, description: '{ user, company }' } },
  {
    method: 'post', path: '/v1/companies', tag: 'people', summary: "Create a company: an owner company (the platform operator; admin { name, email } required) or a partner company (the operator or a Company Admin). A Company Admin's partner company starts in its own program; the operator's in the program of the owner company ownerId names (unknown: 422 unknown_company), or in none. An admin given in the body is made the company's first admin (admin of an owner, partner_admin of a partner) with an API key, shown once",
    body: CompanyBody, ok: { status: 201, description: '{ company, admin?: { user, apiKey } }' }, errors: [403, 422],
  },
  {
    method: 'get', path: '/v1/companies', tag: 'people',
    summary: "Companies the caller may see: the operator every one; a Company Admin its own and the partner companies of its program (each company's programs show only its own); others their own",
    query: PageQuery, ok: { status: 200, description: 'the companies', schema: Responses.list },
  },
  { method: 'get', path: '/v1/companies/:id', tag: 'people', summary: 'One company', ok: { status: 200, description: 'the company' }, errors: [404] },
  {
    method: 'put', path: '/v1/companies/:id/programs/:ownerId', tag: 'people',
    summary: "Put a partner company in an owner company's program (the operator, or that owner's Company Admin; others: 403); already in it: unchanged. Not a partner company, or not an owner company: 404",
    ok: { status: 200, description: 'the partner company' }, errors: [403, 404, 409],
  },
  {
    method: 'delete', path: '/v1/companies/:id/programs/:ownerId', tag: 'people',
    summary: "Take a partner company out of an owner company's program (the operator, or that owner's Company Admin; others: 403); records already assigned to it stay so, new assignments are refused. Not in it: unchanged",
    ok: { status: 200, description: 'the partner company' }, errors: [403, 404],
  },
  { method: 'post', path: '/v1/users', tag: 'people', summary: "Create a user in the caller's own company (its admin or partner_admin; another company: 403); admin is granted only in owner companies, operator only by an operator", body: UserBody, ok: { status: 201, description: 'the user' }, errors: [403, 422] },
  { method: 'get', path: '/v1/users', tag: 'people', summary: "Users the caller may see: its own company's (the operator also every company's admins)", query: PageQuery, ok: { status: 200, description: 'the users', schema: Responses.list } },
  { method: 'get', path: '/v1/users/:id', tag: 'people', summary: 'One user', ok: { status: 200, description: 'the user (ETag: its version)' }, errors: [404] },
  {
    method: 'patch', path: '/v1/users/:id', tag: 'people', summary: "Change a user of the caller's own company (its admin); any other user: 404; a deactivated one: 409 user_deactivated",
    body: UserPatch, ifMatch: true, ok: { status: 200, description: 'the user (ETag: its version)' }, errors: [403, 404, 409, 412],
  },
  {
    method: 'delete', path: '/v1/users/:id', tag: 'people',
    summary: "Deactivate a user of the caller's own company (its admin; not itself: 403): its keys stop working at once, its records, assignments and history stay, and it can be made owner, assignee or participant of nothing (422 inactive_user). Twice: unchanged",
    ifMatch: true, ok: { status: 200, description: 'the deactivated user' }, errors: [403, 404, 409, 412],
  },
  {
    method: 'post', path: '/v1/users/:id/api-keys', tag: 'people',
    summary: "Create an API key (shown once, stored hashed), optionally expiring at expiresAt: for oneself, as admin for a user of one's own company, or as the operator for a company's admin (admin or partner_admin). The operator's key for another company's user is break-glass: reason required (422 reason_required), it expires within OPERATOR_KEY_TTL, and it goes into that company's audit trail and raises security.api_key_issued to its webhooks",
    body: ApiKeyBody, bodyOptional: true, ok: { status: 201, description: 'the key, with its secret' }, errors: [404, 422],
  },
  { method: 'get', path: '/v1/users/:id/api-keys', tag: 'people', summary: "A user's API keys (oneself, as admin a user of one's own company, as the operator a company's admin)", query: PageQuery, ok: { status: 200, description: 'the keys, without secrets', schema: Responses.list }, errors: [404] },
  {
    method: 'get', path: '/v1/api-keys', tag: 'people', summary: "Every API key of the caller's company's users, newest first, with who issued it and until when (its admins; others 403)",
    query: PageQuery, ok: { status: 200, description: 'the keys, without secrets', schema: Responses.list }, errors: [403],
  },
  { method: 'post', path: '/v1/api-keys/:id/revoke', tag: 'people', summary: "Revoke an API key (one's own, as admin one of one's own company's users, as the operator one of a company's admin)", ok: { status: 200, description: 'the revoked key' }, errors: [404, 409] },
  {
    method: 'get', path: '/v1/audit', tag: 'people', summary: "The caller's company's audit trail, newest first: keys issued (break-glass ones marked, with the reason) and revoked, users deactivated; each with who, when and for whom (its admins; others 403)",
    query: PageQuery, ok: { status: 200, description: 'the entries', schema: Responses.page }, errors: [403],
  },
];

const pipelines: RouteSpec[] = [
  {
    method: 'post', path: '/v1/pipelines', tag: 'pipelines', summary: 'Create a pipeline draft (admin); every problem of an invalid definition is listed',
    body: PipelineDefinitionBody, ok: { status: 201, description: 'the pipeline' }, errors: [403, 409, 422],
  },
  {
    method: 'put', path: '/v1/pipelines/:key', tag: 'pipelines', summary: 'Replace a pipeline draft (admin); a deactivated assignee or participant: 422 inactive_user',
    body: PipelineDefinitionBody, ifMatch: true, ok: { status: 200, description: 'the pipeline (ETag: its revision)' }, errors: [403, 404, 409, 412, 422],
  },
  { method: 'get', path: '/v1/pipelines', tag: 'pipelines', summary: 'Pipelines', query: PageQuery, ok: { status: 200, description: 'pipeline summaries', schema: Responses.list } },
  { method: 'get', path: '/v1/pipelines/:key', tag: 'pipelines', summary: 'One pipeline with its draft', ok: { status: 200, description: 'the pipeline' }, errors: [404] },
  {
    method: 'get', path: '/v1/pipelines/:key/versions', tag: 'pipelines', summary: 'Published versions',
    query: PageQuery, ok: { status: 200, description: 'the versions', schema: Responses.list }, errors: [404],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/versions/:version', tag: 'pipelines', summary: 'One published version',
    params: { version: VersionParam }, ok: { status: 200, description: 'the version' }, errors: [404],
  },
  {
    method: 'post', path: '/v1/pipelines/:key/publish', tag: 'pipelines', summary: 'Publish the draft as an immutable version (admin)',
    ok: { status: 201, description: 'the new version' }, errors: [403, 404, 422],
  },
  { method: 'post', path: '/v1/pipelines/:key/disable', tag: 'pipelines', summary: 'Disable a pipeline (admin)', ok: { status: 200, description: 'the pipeline' }, errors: [403, 404, 409] },
];

const webhooks: RouteSpec[] = [
  {
    method: 'post', path: '/v1/webhooks', tag: 'webhooks', summary: "Register a webhook endpoint of the admin's own company (a Company Admin's owner company, a partner_admin's partner company; another company: 403); the signing secret is shown once. A URL naming a loopback, private, link-local, unique-local, unspecified or multicast address (IPv4, IPv6, IPv4-mapped) or a loopback name: 422 forbidden_url, unless WEBHOOK_ALLOW_NETWORKS lists its network; names are checked again, resolved, at each delivery",
    body: WebhookBody, ok: { status: 201, description: 'the webhook, with its secret' }, errors: [403, 422],
  },
  { method: 'get', path: '/v1/webhooks', tag: 'webhooks', summary: "The admin's own company's webhooks", query: PageQuery, ok: { status: 200, description: 'the webhooks, without secrets', schema: Responses.list }, errors: [403] },
  { method: 'get', path: '/v1/webhooks/:id', tag: 'webhooks', summary: "One webhook of the admin's own company (another's: 404)", ok: { status: 200, description: 'the webhook, without its secret (ETag: its version)' }, errors: [403, 404] },
  {
    method: 'patch', path: '/v1/webhooks/:id', tag: 'webhooks', summary: "Change where a webhook of the admin's own company is sent, what it hears, or whether it is on (active: true clears disabledReason and the failing streak; another's: 404; an internal URL: 422 forbidden_url)",
    body: WebhookPatch, ifMatch: true, ok: { status: 200, description: 'the webhook (ETag: its version)' }, errors: [403, 404, 409, 412, 422],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/disable', tag: 'webhooks', summary: "Stop deliveries to a webhook of the admin's own company (another's: 404)",
    ok: { status: 200, description: 'the disabled webhook' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/webhooks/:id/deliveries', tag: 'webhooks', summary: "The delivery log of a webhook of the admin's own company, newest first: each delivery's status, attempts, last answer, next attempt and every try (by status, and by when first tried: since inclusive, until exclusive)",
    query: DeliveryQuery, ok: { status: 200, description: 'the deliveries', schema: Responses.page }, errors: [403, 404],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/deliveries/:deliveryId/redeliver', tag: 'webhooks', summary: "Send a delivery of a webhook of the admin's own company again, now, with its payload and id (a disabled webhook: 409 webhook_disabled; a delivery of 1.0 without a kept payload: 409 not_redeliverable)",
    body: RedeliverBody, bodyOptional: true, ok: { status: 200, description: 'the redelivery, started' }, errors: [403, 404],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/rotate-secret', tag: 'webhooks', summary: "A new signing secret for a webhook of the admin's own company, shown once; for 24 hours deliveries carry a signature by the old secret too (another's: 404)",
    body: RotateSecretBody, bodyOptional: true, ifMatch: true, ok: { status: 200, description: 'the webhook, with its new secret (ETag: its version)' }, errors: [403, 404, 412],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/test', tag: 'webhooks', summary: "Send a webhook.test event now to a webhook of the admin's own company, whatever it listens to (a disabled webhook: 409 webhook_disabled; another's: 404)",
    body: TestEventBody, bodyOptional: true, ok: { status: 200, description: 'the test delivery, started: its id is in the delivery log' }, errors: [403, 404],
  },
  {
    method: 'get', path: '/v1/events', tag: 'webhooks', summary: "The admin's own company's webhook events (the payloads its webhooks get), oldest first, kept 30 days: `after` is the nextCursor of the page before, which is given on the last page too (poll it); at least once, order a record's events by sequence",
    query: EventFeedQuery, ok: { status: 200, description: 'the events: { items, nextCursor, more }' }, errors: [403],
  },
];

/**
 * Health, documentation, people, pipeline definitions and webhooks. The platform
 * operator reads no record data: every pipeline and webhook route answers it 403.
 */
export const setupRoutes: RouteSpec[] = [...meta, ...people, ...pipelines, ...webhooks];
