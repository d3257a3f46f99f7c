import { z } from 'zod';
import type { Filter as FilterValue } from '../../../workflows/domain/types';
import { DefinitionShape } from '../pipeline';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_SCHEMES } from '../../../workflows/domain/webhooks';
import { isoTime, listOf, pageOf } from './shared';

const COMPANY = 'cmp_Hq2v8Rk1Xa4Z';
const ADMIN = 'usr_Tn3c0Wd9Lp2M';

const FILTER_OPS = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'exists', 'contains'] as const;

/** A stored filter: a condition, or an and/or group of filters. */
export const Filter: z.ZodType<FilterValue> = z
  .lazy(() =>
    z.union([
      z.object({ op: z.enum(FILTER_OPS), path: z.string(), value: z.unknown().optional() }),
      z.object({ and: z.array(Filter) }),
      z.object({ or: z.array(Filter) }),
    ]),
  )
  .meta({ id: 'Filter' });

export const PipelineDefinition = DefinitionShape.extend({ filter: Filter.optional() }).meta({ id: 'PipelineDefinition' });

const definitionExample = {
  key: 'deals',
  name: 'Deals',
  objectType: 'opportunity',
  stageField: 'stage',
  trigger: { onCreate: true, manual: true, reinitiate: false },
  multipleRuns: true,
  stages: [
    { key: 'qualify', name: 'Qualify', type: 'normal', initial: true, winRate: 25, tasks: [{ key: 'budget', name: 'Confirm the budget', kind: 'edit_fields', fields: ['amount'], assignee: { kind: 'owner' }, required: true }] },
    { key: 'won', name: 'Won', type: 'success', winRate: 100, rules: { requiredFields: ['amount'] } },
    { key: 'lost', name: 'Lost', type: 'failure', winRate: 0, rules: { requireReason: true } },
  ],
  policy: { reversible: true, skippable: false, repeatable: false, reactivatable: true },
} as const;

const PipelineStatus = z.enum(['draft', 'published', 'disabled']);

export const Pipeline = z
  .object({
    companyId: z.string(),
    key: z.string(),
    draft: PipelineDefinition,
    status: PipelineStatus,
    latestVersion: z.number().int().meta({ description: '0 until the first publish' }),
    globalIds: z.boolean().optional().meta({ description: 'adopted from before companies owned pipelines: its older instances have ids without the company' }),
    createdAt: isoTime,
    updatedAt: isoTime,
    createdBy: z.string(),
    updatedBy: z.string(),
    revision: z.number().int().meta({ description: "the document's own version, changed by every write (its ETag); not a published version number" }),
  })
  .meta({
    id: 'Pipeline',
    examples: [{ companyId: COMPANY, key: 'deals', draft: definitionExample, status: 'published', latestVersion: 2, createdAt: '2026-11-02T08:00:00.000Z', updatedAt: '2026-12-01T09:00:00.000Z', createdBy: ADMIN, updatedBy: ADMIN, revision: 5 }],
  });

const summaryExample = { key: 'deals', name: 'Deals', objectType: 'opportunity', status: 'published', latestVersion: 2, updatedAt: '2026-12-01T09:00:00.000Z' } as const;
export const PipelineSummary = z
  .object({ key: z.string(), name: z.string(), objectType: z.string(), status: PipelineStatus, latestVersion: z.number().int(), updatedAt: isoTime })
  .meta({ id: 'PipelineSummary', examples: [summaryExample] });

export const PipelineVersion = PipelineDefinition.extend({ version: z.number().int(), publishedAt: isoTime }).meta({
  id: 'PipelineVersion',
  description: 'A published, immutable version of a definition.',
  examples: [{ ...definitionExample, version: 2, publishedAt: '2026-12-01T09:00:00.000Z' }],
});

const versionSummaryExample = { key: 'deals', version: 2, name: 'Deals', publishedAt: '2026-12-01T09:00:00.000Z', publishedBy: ADMIN };
export const PipelineVersionSummary = z
  .object({ key: z.string(), version: z.number().int(), name: z.string(), publishedAt: isoTime, publishedBy: z.string() })
  .meta({ id: 'PipelineVersionSummary', examples: [versionSummaryExample] });

export const PipelineList = listOf(PipelineSummary, 'PipelineList', summaryExample);
export const PipelineVersionList = listOf(PipelineVersionSummary, 'PipelineVersionList', versionSummaryExample);

const webhookExample = {
  id: 'whk_b7Kq1sPz0c2N', companyId: COMPANY, url: 'https://hooks.example.com/propeller', events: ['stage.entered', 'lead.accepted'],
  scheme: 'propeller-v1', active: true, createdAt: '2026-11-20T12:00:00.000Z', createdBy: ADMIN, version: 1,
} as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export const Webhook = z
  .object({
    id: z.string(),
    companyId: z.string().meta({ description: "the company whose records' events this endpoint receives" }),
    url: z.string(),
    events: z.array(WebhookEventType),
    scheme: z.enum(WEBHOOK_SCHEMES).optional().meta({ description: 'how deliveries are signed and shaped; absent (made before 1.2): propeller-v1' }),
    active: z.boolean(),
    createdAt: isoTime,
    createdBy: z.string(),
    disabledAt: isoTime.optional(),
    disabledReason: z.string().optional().meta({ description: 'why Propeller disabled it (the receiver answered 410, or failed for days); absent when an admin did' }),
    failingSince: isoTime.optional().meta({ description: 'since when its deliveries have failed with no success in between' }),
    previousSecretExpiresAt: isoTime.optional().meta({ description: 'after a rotation: until then deliveries are signed with the old secret too' }),
    updatedAt: isoTime.optional(),
    version: z.number().int().optional().meta({ description: 'its ETag' }),
  })
  .meta({ id: 'Webhook', examples: [webhookExample] });
export const CreatedWebhook = Webhook.extend({ secret: z.string().meta({ description: 'the signing secret, shown in this answer only' }) }).meta({
  id: 'CreatedWebhook',
  examples: [{ ...webhookExample, secret: 'whsec_3Vq9yT0bM2xR8aLk5nW1cD7e' }],
});
export const RotatedWebhook = Webhook.extend({ secret: z.string().meta({ description: 'the new signing secret, shown in this answer only' }) }).meta({
  id: 'RotatedWebhook',
  description: 'The webhook after a rotation, with its new secret; the old one signs beside it until previousSecretExpiresAt.',
  examples: [{ ...webhookExample, secret: 'whsec_9Lm2Qa7Xc4Vb1Nz8Rt5Kp0Wd', previousSecretExpiresAt: '2026-12-08T09:30:00.000Z', updatedAt: '2026-12-07T09:30:00.000Z', version: 2 }],
});
export const WebhookList = listOf(Webhook, 'WebhookList', webhookExample);

const auditExample = {
  id: 'aud_R2m8Qx4Vb1Tz', companyId: COMPANY, kind: 'api_key.issued', at: '2026-12-07T08:15:00.000Z',
  actor: { userId: 'usr_OpEr4t0r9Xy1', companyId: 'cmp_Pl4tf0rm0001', name: 'Platform operator' },
  subject: { userId: ADMIN, companyId: COMPANY, name: 'Ada Admin', keyId: 'key_Zx81Lq0', keyPrefix: 'pk_4Fq9sT' },
  breakGlass: true, reason: 'INC-4411: restore access', expiresAt: '2026-12-07T09:15:00.000Z',
} as const;
const AuditPerson = z.object({ userId: z.string(), companyId: z.string(), name: z.string().optional().meta({ description: 'the name it had then' }) });
export const AuditEntry = z
  .object({
    id: z.string(),
    companyId: z.string(),
    kind: z.enum(['api_key.issued', 'api_key.revoked', 'user.deactivated']),
    at: isoTime,
    actor: AuditPerson,
    subject: AuditPerson.extend({ keyId: z.string().optional(), keyPrefix: z.string().optional() }),
    breakGlass: z.boolean().optional().meta({ description: "the platform operator acted on a tenant's user" }),
    reason: z.string().optional(),
    expiresAt: isoTime.optional(),
  })
  .meta({ id: 'AuditEntry', description: "An entry of a company's audit trail of people and credentials.", examples: [auditExample] });
export const AuditEntryPage = pageOf(AuditEntry, 'AuditEntryPage', auditExample);

const objectTypeExample = { key: 'deal_registration', name: 'Deal registration', source: 'admin', createdAt: '2026-11-20T12:00:00.000Z', createdBy: ADMIN } as const;
export const ObjectType = z
  .object({
    key: z.string().meta({ description: 'the type as /v1/records/:type takes it' }),
    name: z.string().optional(),
    source: z.enum(['pipeline', 'admin', 'builtin', 'upgrade']).meta({
      description: 'pipeline: a published pipeline runs on it or its tasks create it; admin: registered with POST /v1/object-types; builtin: every company has it; upgrade: in use before the registry existed',
    }),
    createdAt: isoTime.nullable().meta({ description: 'when it was registered; null for a built-in type' }),
    createdBy: z.string().optional().meta({ description: 'the admin who registered it' }),
  })
  .meta({ id: 'ObjectType', examples: [objectTypeExample] });
export const ObjectTypeList = listOf(ObjectType, 'ObjectTypeList', objectTypeExample);
