import { z } from 'zod';
import { ApiKeyBody, CompanyBody, UserBody, UserPatch } from '../schemas/people';
import { PageQuery } from '../cursor';
import { PipelineDefinitionBody, VersionParam } from '../schemas/pipeline';
import { ObjectTypeBody } from '../schemas/object-types';
import { ObjectTypeParam } from '../schemas/records';
import { DeliveryQuery, EventFeedQuery, RedeliverBody, RotateSecretBody, TestEventBody, WebhookBody, WebhookPatch } from '../schemas/webhooks';
import * as Out from '../schemas/responses';
import type { RouteSpec } from './route-spec';

const OpenApiDocument = z
  .object({ openapi: z.string(), info: z.record(z.string(), z.unknown()), paths: z.record(z.string(), z.unknown()), components: z.record(z.string(), z.unknown()) })
  .catchall(z.unknown())
  .meta({ id: 'OpenApiDocument', examples: [{ openapi: '3.1.0', info: { title: 'Propeller API', version: '1' }, paths: {}, components: {} }] });

const meta: RouteSpec[] = [
  { method: 'get', path: '/healthz', operationId: 'getHealth', tag: 'health', public: true, summary: 'The process answers', ok: { status: 200, description: 'up', schema: Out.Health } },
  {
    method: 'get', path: '/readyz', operationId: 'getReadiness', tag: 'health', public: true, summary: 'Temporal and MongoDB answer too',
    ok: { status: 200, description: 'ready', schema: Out.Ready }, codes: ['not_ready'],
  },
  { method: 'get', path: '/openapi.json', operationId: 'getOpenApiDocument', tag: 'docs', public: true, summary: 'This OpenAPI 3.1 document', ok: { status: 200, description: 'the document', schema: OpenApiDocument } },
  { method: 'get', path: '/docs', operationId: 'getDocsPage', tag: 'docs', public: true, summary: 'This document, rendered', ok: { status: 200, description: 'an HTML page', contentType: 'text/html' } },
];

const people: RouteSpec[] = [
  { method: 'get', path: '/v1/me', operationId: 'getMe', tag: 'people', summary: 'The caller: their user and company', ok: { status: 200, description: '{ user, company }', schema: Out.Me } },
  {
    method: 'post', path: '/v1/companies', operationId: 'createCompany', tag: 'people', summary: 'Create an owner or a partner company, optionally with its first admin',
    description: "An owner company (the platform operator; admin { name, email } required) or a partner company (the operator or a Company Admin). A Company Admin's partner company starts in its own program; the operator's in the program of the owner company ownerId names (unknown: 422 unknown_company), or in none. An admin given in the body is made the company's first admin (admin of an owner, partner_admin of a partner) with an API key, shown once.",
    body: CompanyBody, ok: { status: 201, description: '{ company, admin?: { user, apiKey } }', schema: Out.CreatedCompany }, codes: ['forbidden', 'unknown_company'],
  },
  {
    method: 'get', path: '/v1/companies', operationId: 'listCompanies', tag: 'people', summary: 'Companies the caller may see',
    description: "The operator sees every one; a Company Admin its own and the partner companies of its program (each company's programs show only its own); others their own.",
    query: PageQuery, ok: { status: 200, description: 'the companies', schema: Out.CompanyList },
  },
  { method: 'get', path: '/v1/companies/:id', operationId: 'getCompany', tag: 'people', summary: 'One company', ok: { status: 200, description: 'the company', schema: Out.Company }, codes: ['not_found'] },
  {
    method: 'put', path: '/v1/companies/:id/programs/:ownerId', operationId: 'addCompanyToProgram', tag: 'people', summary: "Put a partner company in an owner company's program",
    description: "The operator, or that owner's Company Admin (others: 403); already in it: unchanged. Not a partner company, or not an owner company: 404.",
    ok: { status: 200, description: 'the partner company', schema: Out.Company }, codes: ['forbidden', 'not_found', 'conflict'],
  },
  {
    method: 'delete', path: '/v1/companies/:id/programs/:ownerId', operationId: 'removeCompanyFromProgram', tag: 'people', summary: "Take a partner company out of an owner company's program",
    description: "The operator, or that owner's Company Admin (others: 403); records already assigned to it stay so, new assignments are refused. Not in it: unchanged.",
    ok: { status: 200, description: 'the partner company', schema: Out.Company }, codes: ['forbidden', 'not_found', 'conflict'],
  },
  {
    method: 'post', path: '/v1/users', operationId: 'createUser', tag: 'people', summary: "Create a user in the caller's own company",
    description: "Its admin or partner_admin (another company: 403); admin is granted only in owner companies, operator only by an operator.",
    body: UserBody, ok: { status: 201, description: 'the user', schema: Out.User, etag: true }, codes: ['forbidden', 'unknown_company'],
  },
  {
    method: 'get', path: '/v1/users', operationId: 'listUsers', tag: 'people', summary: 'Users the caller may see',
    description: "Its own company's (the operator also every company's admins).", query: PageQuery, ok: { status: 200, description: 'the users', schema: Out.UserList },
  },
  { method: 'get', path: '/v1/users/:id', operationId: 'getUser', tag: 'people', summary: 'One user', ok: { status: 200, description: 'the user (ETag: its version)', schema: Out.User, etag: true }, codes: ['not_found'] },
  {
    method: 'patch', path: '/v1/users/:id', operationId: 'updateUser', tag: 'people', summary: "Change a user of the caller's own company (its admin)",
    description: 'Any other user: 404; a deactivated one: 409 user_deactivated.',
    body: UserPatch, ifMatch: true, ok: { status: 200, description: 'the user (ETag: its version)', schema: Out.User, etag: true }, codes: ['forbidden', 'not_found', 'conflict', 'user_deactivated'],
  },
  {
    method: 'delete', path: '/v1/users/:id', operationId: 'deactivateUser', tag: 'people', summary: "Deactivate a user of the caller's own company (its admin)",
    description: 'Not itself: 403. Its keys stop working at once, its records, assignments and history stay, and it can be made owner, assignee or participant of nothing (422 inactive_user). Twice: unchanged.',
    ifMatch: true, ok: { status: 200, description: 'the deactivated user', schema: Out.User, etag: true }, codes: ['forbidden', 'not_found', 'conflict'],
  },
  {
    method: 'post', path: '/v1/users/:id/api-keys', operationId: 'createApiKey', tag: 'people', summary: 'Create an API key, shown once and stored hashed',
    description: "Optionally expiring at expiresAt: for oneself, as admin for a user of one's own company, or as the operator for a company's admin (admin or partner_admin). The operator's key for another company's user is break-glass: reason required (422 reason_required), it expires within OPERATOR_KEY_TTL, and it goes into that company's audit trail and raises security.api_key_issued to its webhooks.",
    body: ApiKeyBody, bodyOptional: true, ok: { status: 201, description: 'the key, with its secret', schema: Out.CreatedApiKey }, codes: ['not_found', 'inactive_user', 'invalid_expiry', { code: 'reason_required', status: 422 }],
  },
  {
    method: 'get', path: '/v1/users/:id/api-keys', operationId: 'listUserApiKeys', tag: 'people', summary: "A user's API keys",
    description: "Oneself, as admin a user of one's own company, as the operator a company's admin.",
    query: PageQuery, ok: { status: 200, description: 'the keys, without secrets', schema: Out.ApiKeyList }, codes: ['not_found'],
  },
  {
    method: 'get', path: '/v1/api-keys', operationId: 'listCompanyApiKeys', tag: 'people', summary: "Every API key of the caller's company's users, newest first",
    description: 'With who issued it and until when (its admins; others 403).',
    query: PageQuery, ok: { status: 200, description: 'the keys, without secrets', schema: Out.ApiKeyList }, codes: ['forbidden'],
  },
  {
    method: 'post', path: '/v1/api-keys/:id/revoke', operationId: 'revokeApiKey', tag: 'people', summary: 'Revoke an API key',
    description: "One's own, as admin one of one's own company's users, as the operator one of a company's admin.",
    ok: { status: 200, description: 'the revoked key', schema: Out.ApiKey }, codes: ['not_found', 'conflict'],
  },
  {
    method: 'get', path: '/v1/audit', operationId: 'listAuditEntries', tag: 'people', summary: "The caller's company's audit trail, newest first (its admins)",
    description: 'Keys issued (break-glass ones marked, with the reason) and revoked, users deactivated; each with who, when and for whom (its admins; others 403).',
    query: PageQuery, ok: { status: 200, description: 'the entries', schema: Out.AuditEntryPage }, codes: ['forbidden'],
  },
];

const pipelines: RouteSpec[] = [
  {
    method: 'post', path: '/v1/pipelines', operationId: 'createPipeline', tag: 'pipelines', summary: 'Create a pipeline draft (admin)',
    description: 'Every problem of an invalid definition is listed.',
    body: PipelineDefinitionBody, ok: { status: 201, description: 'the pipeline', schema: Out.Pipeline, etag: true }, codes: ['forbidden', 'duplicate', 'inactive_user'],
  },
  {
    method: 'put', path: '/v1/pipelines/:key', operationId: 'replacePipelineDraft', tag: 'pipelines', summary: 'Replace a pipeline draft (admin)',
    description: 'A deactivated assignee or participant: 422 inactive_user.',
    body: PipelineDefinitionBody, ifMatch: true, ok: { status: 200, description: 'the pipeline (ETag: its revision)', schema: Out.Pipeline, etag: true }, codes: ['forbidden', 'not_found', 'conflict', 'key_mismatch', 'stage_field_fixed', 'inactive_user'],
  },
  { method: 'get', path: '/v1/pipelines', operationId: 'listPipelines', tag: 'pipelines', summary: 'Pipelines', query: PageQuery, ok: { status: 200, description: 'pipeline summaries', schema: Out.PipelineList }, codes: ['forbidden'] },
  { method: 'get', path: '/v1/pipelines/:key', operationId: 'getPipeline', tag: 'pipelines', summary: 'One pipeline with its draft', ok: { status: 200, description: 'the pipeline', schema: Out.Pipeline, etag: true }, codes: ['forbidden', 'not_found'] },
  {
    method: 'get', path: '/v1/pipelines/:key/versions', operationId: 'listPipelineVersions', tag: 'pipelines', summary: 'Published versions',
    query: PageQuery, ok: { status: 200, description: 'the versions', schema: Out.PipelineVersionList }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/versions/:version', operationId: 'getPipelineVersion', tag: 'pipelines', summary: 'One published version',
    params: { version: VersionParam }, ok: { status: 200, description: 'the version', schema: Out.PipelineVersion }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'post', path: '/v1/pipelines/:key/publish', operationId: 'publishPipeline', tag: 'pipelines', summary: 'Publish the draft as an immutable version (admin)',
    ok: { status: 201, description: 'the new version', schema: Out.PipelineVersion }, codes: ['forbidden', 'not_found', 'conflict', 'stage_field_taken', 'invalid_definition', 'inactive_user'],
  },
  {
    method: 'post', path: '/v1/pipelines/:key/disable', operationId: 'disablePipeline', tag: 'pipelines', summary: 'Disable a pipeline (admin)',
    ok: { status: 200, description: 'the pipeline', schema: Out.Pipeline, etag: true }, codes: ['forbidden', 'not_found', 'conflict'],
  },
];

const objectTypes: RouteSpec[] = [
  {
    method: 'get', path: '/v1/object-types', operationId: 'listObjectTypes', tag: 'pipelines', summary: "The object types of the caller's company, by key",
    description:
      "What /v1/records/:type takes (any other type: 404 unknown_object_type): the built-in ones (lead, opportunity, contact, account, quotation, contract), those its published pipelines run on or their tasks create, and those its admins registered. A partner company's users also take the types of the owners whose programs it is in.",
    query: PageQuery, ok: { status: 200, description: 'the object types', schema: Out.ObjectTypeList },
  },
  {
    method: 'get', path: '/v1/object-types/:key', operationId: 'getObjectType', tag: 'pipelines', summary: "One object type of the caller's company",
    params: { key: ObjectTypeParam }, ok: { status: 200, description: 'the object type', schema: Out.ObjectType }, codes: ['forbidden', 'unknown_object_type'],
  },
  {
    method: 'post', path: '/v1/object-types', operationId: 'registerObjectType', tag: 'pipelines', summary: 'Register an object type, so records of it can be created (admin)',
    description:
      "Its key follows the rules of /v1/records/:type. Idempotent: a key the company already has (registered, built in, or run on by a pipeline) answers 200 with the type as it stands, unchanged. Publishing a pipeline registers its object type and its tasks' record types by itself.",
    body: ObjectTypeBody, ok: { status: 201, description: 'the new object type (200 when it was already registered)', schema: Out.ObjectType }, codes: ['forbidden'],
  },
];

const webhooks: RouteSpec[] = [
  {
    method: 'post', path: '/v1/webhooks', operationId: 'createWebhook', tag: 'webhooks', summary: "Register a webhook endpoint of the admin's own company",
    description: "A Company Admin's owner company, a partner_admin's partner company (another company: 403); the signing secret is shown once. A URL naming a loopback, private, link-local, unique-local, unspecified or multicast address (IPv4, IPv6, IPv4-mapped) or a loopback name: 422 forbidden_url, unless WEBHOOK_ALLOW_NETWORKS lists its network; names are checked again, resolved, at each delivery.",
    body: WebhookBody, ok: { status: 201, description: 'the webhook, with its secret', schema: Out.CreatedWebhook, etag: true }, codes: ['forbidden', 'forbidden_url'],
  },
  {
    method: 'get', path: '/v1/webhooks', operationId: 'listWebhooks', tag: 'webhooks', summary: "The admin's own company's webhooks",
    query: PageQuery, ok: { status: 200, description: 'the webhooks, without secrets', schema: Out.WebhookList }, codes: ['forbidden'],
  },
  {
    method: 'get', path: '/v1/webhooks/:id', operationId: 'getWebhook', tag: 'webhooks', summary: "One webhook of the admin's own company (another's: 404)",
    ok: { status: 200, description: 'the webhook, without its secret (ETag: its version)', schema: Out.Webhook, etag: true }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'patch', path: '/v1/webhooks/:id', operationId: 'updateWebhook', tag: 'webhooks', summary: 'Change where a webhook is sent, or what it hears',
    description: "A webhook of the admin's own company (another's: 404; an internal URL: 422 forbidden_url).",
    body: WebhookPatch, ifMatch: true, ok: { status: 200, description: 'the webhook (ETag: its version)', schema: Out.Webhook, etag: true }, codes: ['forbidden', 'not_found', 'conflict', 'forbidden_url'],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/disable', operationId: 'disableWebhook', tag: 'webhooks', summary: "Stop deliveries to a webhook of the admin's own company",
    description: "Another company's: 404.",
    ok: { status: 200, description: 'the disabled webhook', schema: Out.Webhook, etag: true }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'get', path: '/v1/webhooks/:id/deliveries', operationId: 'listWebhookDeliveries', tag: 'webhooks', summary: "A webhook's delivery log, newest first, each delivery with every try",
    description: "A webhook of the admin's own company (another's: 404): each delivery's status, attempts, last answer, next attempt and every try; by status, and by when first tried (since inclusive, until exclusive).",
    query: DeliveryQuery, ok: { status: 200, description: 'the deliveries', schema: Out.DeliveryPage }, codes: ['forbidden', 'not_found'],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/deliveries/:deliveryId/redeliver', operationId: 'redeliverWebhookDelivery', tag: 'webhooks', summary: 'Send a delivery again, now, with its payload and id',
    description: "A delivery of a webhook of the admin's own company (another's: 404); a failed one is retried on the schedule. A disabled webhook: 409 webhook_disabled; a delivery of 1.0 without a kept payload: 409 not_redeliverable.",
    body: RedeliverBody, bodyOptional: true, ok: { status: 200, description: 'the redelivery, started', schema: Out.Redelivery }, codes: ['forbidden', 'not_found', 'webhook_disabled', 'not_redeliverable'],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/rotate-secret', operationId: 'rotateWebhookSecret', tag: 'webhooks', summary: "A new signing secret for a webhook, shown once; the old one signs for 24 h",
    description: "A webhook of the admin's own company (another's: 404). For 24 hours (until previousSecretExpiresAt) deliveries carry a signature by the old secret too, so a receiver can switch without losing one.",
    body: RotateSecretBody, bodyOptional: true, ifMatch: true, ok: { status: 200, description: 'the webhook, with its new secret (ETag: its version)', schema: Out.RotatedWebhook, etag: true }, codes: ['forbidden', 'not_found', 'conflict'],
  },
  {
    method: 'post', path: '/v1/webhooks/:id/test', operationId: 'sendWebhookTestEvent', tag: 'webhooks', summary: 'Send a webhook.test event now to a webhook, whatever it listens to',
    description: "A webhook of the admin's own company (another's: 404); its delivery is in the delivery log. A disabled webhook: 409 webhook_disabled.",
    body: TestEventBody, bodyOptional: true, ok: { status: 200, description: 'the test delivery, started: its id is in the delivery log', schema: Out.TestDelivery }, codes: ['forbidden', 'not_found', 'webhook_disabled'],
  },
  {
    method: 'get', path: '/v1/events', operationId: 'listEvents', tag: 'webhooks', summary: "The company's webhook events, oldest first, kept 30 days",
    description: "The admin's own company's webhook events (the payloads its webhooks get). `after` is the nextCursor of the page before, which is given on the last page too: poll it. At least once: order a record's events by sequence.",
    query: EventFeedQuery, ok: { status: 200, description: 'the events', schema: Out.EventPage }, codes: ['forbidden'],
  },
];

/**
 * Health, documentation, people, pipeline definitions and webhooks. The platform
 * operator reads no record data: every pipeline and webhook route answers it 403.
 */
export const setupRoutes: RouteSpec[] = [...meta, ...people, ...pipelines, ...objectTypes, ...webhooks];
