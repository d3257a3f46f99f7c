import { CompanyBody, UserBody, UserPatch } from '../schemas/people';
import { PipelineDefinitionBody, VersionParam } from '../schemas/pipeline';
import { WebhookBody } from '../schemas/webhooks';
import { Responses, type RouteSpec } from './route-spec';

const meta: RouteSpec[] = [
  { method: 'get', path: '/healthz', tag: 'health', public: true, summary: 'The process answers', ok: { status: 200, description: 'up', schema: Responses.health } },
  {
    method: 'get', path: '/readyz', tag: 'health', public: true, summary: 'Temporal and MongoDB answer too',
    ok: { status: 200, description: 'ready', schema: Responses.ready }, errors: [503],
  },
  {
    method: 'get', path: '/metrics', tag: 'health', public: true, summary: 'Prometheus metrics',
    ok: { status: 200, description: 'the Prometheus text format', contentType: 'text/plain' },
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
    ok: { status: 200, description: 'the companies', schema: Responses.items },
  },
  { method: 'get', path: '/v1/companies/:id', tag: 'people', summary: 'One company', ok: { status: 200, description: 'the company' }, errors: [404] },
  {
    method: 'put', path: '/v1/companies/:id/programs/:ownerId', tag: 'people',
    summary: "Put a partner company in an owner company's program (the operator, or that owner's Company Admin; others: 403); already in it: unchanged. Not a partner company, or not an owner company: 404",
    ok: { status: 200, description: 'the partner company' }, errors: [403, 404],
  },
  {
    method: 'delete', path: '/v1/companies/:id/programs/:ownerId', tag: 'people',
    summary: "Take a partner company out of an owner company's program (the operator, or that owner's Company Admin; others: 403); records already assigned to it stay so, new assignments are refused. Not in it: unchanged",
    ok: { status: 200, description: 'the partner company' }, errors: [403, 404],
  },
  { method: 'post', path: '/v1/users', tag: 'people', summary: "Create a user in the caller's own company (its admin or partner_admin; another company: 403); admin is granted only in owner companies, operator only by an operator", body: UserBody, ok: { status: 201, description: 'the user' }, errors: [403, 422] },
  { method: 'get', path: '/v1/users', tag: 'people', summary: "Users the caller may see: its own company's (the operator also every company's admins)", ok: { status: 200, description: 'the users', schema: Responses.items } },
  { method: 'get', path: '/v1/users/:id', tag: 'people', summary: 'One user', ok: { status: 200, description: 'the user' }, errors: [404] },
  { method: 'patch', path: '/v1/users/:id', tag: 'people', summary: "Change a user of the caller's own company (its admin); any other user: 404", body: UserPatch, ok: { status: 200, description: 'the user' }, errors: [403, 404] },
  {
    method: 'post', path: '/v1/users/:id/api-keys', tag: 'people', summary: "Create an API key (shown once, stored hashed): for oneself, as admin for a user of one's own company, or as the operator for a company's admin (admin or partner_admin)",
    ok: { status: 201, description: 'the key, with its secret' }, errors: [404],
  },
  { method: 'get', path: '/v1/users/:id/api-keys', tag: 'people', summary: "A user's API keys (oneself, as admin a user of one's own company, as the operator a company's admin)", ok: { status: 200, description: 'the keys, without secrets', schema: Responses.items }, errors: [404] },
  { method: 'post', path: '/v1/api-keys/:id/revoke', tag: 'people', summary: "Revoke an API key (one's own, as admin one of one's own company's users, as the operator one of a company's admin)", ok: { status: 200, description: 'the revoked key' }, errors: [404] },
];

const pipelines: RouteSpec[] = [
  {
    method: 'post', path: '/v1/pipelines', tag: 'pipelines', summary: 'Create a pipeline draft (admin); every problem of an invalid definition is listed',
    body: PipelineDefinitionBody, ok: { status: 201, description: 'the pipeline' }, errors: [403, 409],
  },
  {
    method: 'put', path: '/v1/pipelines/:key', tag: 'pipelines', summary: 'Replace a pipeline draft (admin)',
    body: PipelineDefinitionBody, ok: { status: 200, description: 'the pipeline' }, errors: [403, 404],
  },
  { method: 'get', path: '/v1/pipelines', tag: 'pipelines', summary: 'Pipelines', ok: { status: 200, description: 'pipeline summaries', schema: Responses.items } },
  { method: 'get', path: '/v1/pipelines/:key', tag: 'pipelines', summary: 'One pipeline with its draft', ok: { status: 200, description: 'the pipeline' }, errors: [404] },
  {
    method: 'get', path: '/v1/pipelines/:key/versions', tag: 'pipelines', summary: 'Published versions',
    ok: { status: 200, description: 'the versions', schema: Responses.items }, errors: [404],
  },
  {
    method: 'get', path: '/v1/pipelines/:key/versions/:version', tag: 'pipelines', summary: 'One published version',
    params: { version: VersionParam }, ok: { status: 200, description: 'the version' }, errors: [404],
  },
  {
    method: 'post', path: '/v1/pipelines/:key/publish', tag: 'pipelines', summary: 'Publish the draft as an immutable version (admin)',
    ok: { status: 201, description: 'the new version' }, errors: [403, 404, 422],
  },
  { method: 'post', path: '/v1/pipelines/:key/disable', tag: 'pipelines', summary: 'Disable a pipeline (admin)', ok: { status: 200, description: 'the pipeline' }, errors: [403, 404] },
];

const webhooks: RouteSpec[] = [
  {
    method: 'post', path: '/v1/webhooks', tag: 'webhooks', summary: "Register a webhook endpoint of the admin's own company (a Company Admin's owner company, a partner_admin's partner company; another company: 403); the signing secret is shown once",
    body: WebhookBody, ok: { status: 201, description: 'the webhook, with its secret' }, errors: [403, 422],
  },
  { method: 'get', path: '/v1/webhooks', tag: 'webhooks', summary: "The admin's own company's webhooks", ok: { status: 200, description: 'the webhooks, without secrets', schema: Responses.items }, errors: [403] },
  { method: 'get', path: '/v1/webhooks/:id', tag: 'webhooks', summary: "One webhook of the admin's own company (another's: 404)", ok: { status: 200, description: 'the webhook, without its secret' }, errors: [403, 404] },
  {
    method: 'post', path: '/v1/webhooks/:id/disable', tag: 'webhooks', summary: "Stop deliveries to a webhook of the admin's own company (another's: 404)",
    ok: { status: 200, description: 'the disabled webhook' }, errors: [403, 404],
  },
];

/**
 * Health, documentation, people, pipeline definitions and webhooks. The platform
 * operator reads no record data: every pipeline and webhook route answers it 403.
 */
export const setupRoutes: RouteSpec[] = [...meta, ...people, ...pipelines, ...webhooks];
