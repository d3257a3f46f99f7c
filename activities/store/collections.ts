import type { Db, Document, IndexDescription } from 'mongodb';

/** Every collection Propeller uses, and the indexes behind each list the API serves. */
export const COLLECTIONS = {
  pipelines: 'pipelines',
  pipelineVersions: 'pipeline_versions',
  records: 'records',
  instances: 'instances',
  tasks: 'tasks',
  events: 'events',
  companies: 'companies',
  users: 'users',
  apiKeys: 'api_keys',
  idempotency: 'idempotency',
  /** Short-lived claims that make a record's version check atomic on FerretDB. */
  recordVersionClaims: 'record_version_claims',
  /** The same claims for companies, users, API keys, pipelines and webhooks (see versioned.ts). */
  writeClaims: 'write_claims',
  webhooks: 'webhooks',
  /** One outcome per webhook delivery id, for operators. */
  webhookDeliveries: 'webhook_deliveries',
  /** The payloads of deliveries a step raised, keyed by delivery id: Temporal carries only the ids. */
  webhookOutbox: 'webhook_outbox',
  /** Each company's webhook events, 30 days, keyed `<companyId>|<recordedAt>|<event id>` (event-feed.ts). */
  eventFeed: 'webhook_events',
  /** A token per cached catalogue (see `revision` in revisions.ts), changed by every write to it. */
  revisions: 'revisions',
  /** Stage changes not yet folded into the analytics rollup (see rollup.ts); keyed by event id. */
  stageFactInbox: 'stage_fact_inbox',
  /** One document per company, pipeline and UTC day: that day's stage-change facts, packed. */
  analyticsDays: 'analytics_days',
  /** 1.1's cursors, 16 documents per pipeline holding every instance: converted once, then removed (rollup-convert.ts). */
  analyticsCursors: 'analytics_cursors',
  /** One document per instance (`<company>/<pipeline>|<instance>`): what its next fact looks back on. Read by `_id`. */
  analyticsInstanceCursors: 'analytics_instance_cursors',
  /** One document per pipeline: how many instances stand in each stage, and the last fold pass applied to it. */
  analyticsStanding: 'analytics_standing',
  /** A fold pass written before it is applied, one per pipeline at most: a pass cut off is finished by the next fold. */
  analyticsPasses: 'analytics_passes',
  analyticsLocks: 'analytics_locks',
  /** Each company's object types (object-types.ts), keyed `<companyId>|<key>`; read whole into every process's memory. */
  objectTypes: 'object_types',
  /** Each company's trail of who issued and revoked keys and deactivated users (audit.ts). */
  audit: 'audit',
} as const;

const INDEXES: Record<string, IndexDescription[]> = {
  [COLLECTIONS.pipelines]: [{ key: { companyId: 1, key: 1 }, name: 'by_company_key' }],
  // Unique per company: two companies may each publish version 1 of their own `partner-lead`.
  [COLLECTIONS.pipelineVersions]: [{ key: { companyId: 1, pipelineKey: 1, version: -1 }, name: 'by_company_pipeline_version', unique: true }],
  [COLLECTIONS.records]: [
    { key: { type: 1, companyId: 1, createdAt: -1 }, name: 'by_type_company' },
    { key: { type: 1, partnerCompanyId: 1, createdAt: -1 }, name: 'by_type_partner' },
    { key: { contactId: 1 }, name: 'by_contact' },
  ],
  [COLLECTIONS.instances]: [
    { key: { pipelineKey: 1, stage: 1, updatedAt: -1 }, name: 'by_pipeline_stage' },
    { key: { recordId: 1 }, name: 'by_record' },
    { key: { companyId: 1, status: 1 }, name: 'by_company_status' },
    { key: { pipelineKey: 1, status: 1, stageType: 1, ownerId: 1 }, name: 'forecast' },
  ],
  [COLLECTIONS.tasks]: [{ key: { instanceId: 1, createdAt: 1 }, name: 'by_instance' }],
  [COLLECTIONS.events]: [
    { key: { instanceId: 1, at: 1 }, name: 'by_instance' },
    { key: { recordId: 1, at: 1 }, name: 'by_record' },
    { key: { pipelineKey: 1, at: 1 }, name: 'by_pipeline_at' },
  ],
  [COLLECTIONS.users]: [{ key: { companyId: 1 }, name: 'by_company' }],
  [COLLECTIONS.webhooks]: [{ key: { companyId: 1 }, name: 'by_company' }],
  [COLLECTIONS.webhookDeliveries]: [
    { key: { webhookId: 1, updatedAt: -1 }, name: 'by_webhook' },
    { key: { webhookId: 1, createdAt: -1 }, name: 'by_webhook_created' },
  ],
  [COLLECTIONS.audit]: [{ key: { companyId: 1, at: -1 }, name: 'by_company_at' }],
  [COLLECTIONS.apiKeys]: [
    { key: { hash: 1 }, name: 'by_hash', unique: true },
    { key: { userId: 1 }, name: 'by_user' },
  ],
};

/** Indexes an earlier version created and this one must not keep (a unique one would refuse today's documents). */
const RETIRED: Record<string, string[]> = {
  // Unique on (pipelineKey, version) across companies, from when pipelines had no company.
  [COLLECTIONS.pipelineVersions]: ['by_pipeline_version'],
};

async function existingIndexNames(db: Db, collection: string): Promise<Set<string>> {
  try {
    const indexes = await db.collection(collection).listIndexes().toArray();
    return new Set(indexes.map((i) => String(i.name)));
  } catch (err) {
    if ((err as { code?: unknown }).code === 26) return new Set(); // NamespaceNotFound: no collection yet
    throw err;
  }
}

/**
 * Idempotent: safe on every start of the worker, the API and the tests. Only
 * missing indexes are created: FerretDB 1.24 drops the connection when asked to
 * create an index that already exists.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, names] of Object.entries(RETIRED)) {
    const existing = await existingIndexNames(db, collection);
    for (const name of names.filter((n) => existing.has(n))) await db.collection(collection).dropIndex(name);
  }
  for (const [collection, indexes] of Object.entries(INDEXES)) {
    const existing = await existingIndexNames(db, collection);
    const missing = indexes.filter((i) => !existing.has(i.name!));
    if (missing.length > 0) await db.collection(collection).createIndexes(missing);
  }
}

/** Documents are keyed by string ids the application makes (readable in workflow ids). */
export type Doc<T> = T & Document & { _id: string };

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
