import type { Db } from 'mongodb';
import { instanceIdFor } from '../../workflows/domain/instances';
import type { RecordView } from '../../workflows/domain/types';
import type { InstanceProjection } from '../../workflows/transition';
import { eventStore } from './events';
import { idempotencyStore } from './idempotency';
import { instanceStore } from './instances';
import { peopleStore } from './people';
import { pipelineStore } from './pipelines';
import { recordStore } from './records';
import { taskStore } from './tasks';
import { webhookStore } from './webhooks';

export { COLLECTIONS, ensureIndexes, isDuplicateKey } from './collections';
export type { StoredRecord } from './records';
export type { StoredTask } from './tasks';
export type { DeliveryOutcome, Webhook } from './webhooks';
export type { ApiKeyInfo, Company, CompanyKind, User } from './people';
export { newId } from './people';

export function createStores(db: Db) {
  const instances = instanceStore(db);
  const pipelines = pipelineStore(db);
  return {
    records: recordStore(db),
    events: eventStore(db),
    instances,
    tasks: taskStore(db),
    people: peopleStore(db),
    pipelines,
    idempotency: idempotencyStore(db),
    webhooks: webhookStore(db),

    /**
     * The instances bound to a record, found by the ids they can have (an
     * instance id follows from the pipeline and the record, or its contact) and
     * read by `_id`: no query on `recordId`, which FerretDB answers by reading
     * every instance. A contact's instance bound to another record is left out.
     */
    async instancesOf(record: Pick<RecordView, 'id' | 'type' | 'contactId'>): Promise<InstanceProjection[]> {
      const keys = await pipelines.keysFor(record.type);
      const ids = keys.flatMap((key) => [
        instanceIdFor({ key, multipleRuns: true }, record),
        ...(record.contactId ? [instanceIdFor({ key, multipleRuns: false }, record)] : []),
      ]);
      return (await instances.byIds(ids)).filter((i) => i.recordId === record.id);
    },
  };
}

export type Stores = ReturnType<typeof createStores>;
