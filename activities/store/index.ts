import type { Db } from 'mongodb';
import type { IdRecord } from '../../workflows/domain/instances';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { eventStore } from './events';
import { idempotencyStore } from './idempotency';
import { instanceStore, type InstanceProjection } from './instances';
import { peopleStore } from './people';
import { pipelineStore } from './pipelines';
import { recordStore } from './records';
import { rollupStore } from './rollup';
import { taskStore } from './tasks';
import { webhookStore } from './webhooks';
import { auditStore } from './audit';
import { objectTypeStore } from './object-types';

export { COLLECTIONS, ensureIndexes, isDuplicateKey } from './collections';
export { prepareDatabase, type UpgradeReport } from './upgrade';
export { inRevisionScope, type RevisionScope } from './revisions';
export type { StoredRecord, WritableRecord } from './records';
export type { InstanceProjection, InstanceView } from './instances';
export { stateOf } from './instances';
export type { StoredTask } from './tasks';
export type { DeliveryOutcome, Webhook } from './webhooks';
export type { ApiKeyInfo, Company, CompanyKind, User } from './people';
export type { AuditEntry } from './audit';
export type { ObjectType, ObjectTypeSource } from './object-types';
export { BUILTIN_OBJECT_TYPES } from './object-types';
export { newId } from './people';
import { eventFeedStore } from './event-feed';

export function createStores(db: Db) {
  const instances = instanceStore(db);
  const objectTypes = objectTypeStore(db);
  const pipelines = pipelineStore(db, objectTypes);
  return {
    objectTypes,
    records: recordStore(db),
    events: eventStore(db),
    instances,
    tasks: taskStore(db),
    people: peopleStore(db),
    pipelines,
    idempotency: idempotencyStore(db),
    webhooks: webhookStore(db),
    eventFeed: eventFeedStore(db),
    rollup: rollupStore(db),
    audit: auditStore(db),

    /**
     * The instances bound to a record, found by the ids they can have (an
     * instance id follows from the company, the pipeline and the record, or its
     * contact; instances started before companies owned pipelines keep the
     * older form) and read by `_id`: no query on `recordId`, which FerretDB
     * answers by reading every instance. A contact's instance bound to another
     * record is left out.
     */
    async instancesOf(record: IdRecord): Promise<InstanceProjection[]> {
      const keys = await pipelines.keysFor(record.companyId, record.type);
      const ids = await Promise.all(
        keys.map(async (key) => [
          ...(await pipelines.instanceIds({ key, multipleRuns: true }, record)),
          ...(record.contactId ? await pipelines.instanceIds({ key, multipleRuns: false }, record) : []),
        ]),
      );
      return (await instances.byIds(ids.flat())).filter((i) => i.recordId === record.id);
    },

    /**
     * The id a new instance of this pipeline for this record takes, and the
     * instance already there under it or under the id it had before companies
     * owned pipelines (which it then keeps).
     */
    async instanceSlot(def: Pick<PipelineDefinition, 'key' | 'multipleRuns'>, record: IdRecord) {
      const ids = await pipelines.instanceIds(def, record);
      const found = await instances.byIds(ids);
      const existing = ids.map((id) => found.find((i) => i.instanceId === id)).find((i) => i !== undefined);
      return { instanceId: existing?.instanceId ?? ids[0]!, existing };
    },
  };
}

export type Stores = ReturnType<typeof createStores>;
