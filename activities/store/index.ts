import type { Db } from 'mongodb';
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
  return {
    records: recordStore(db),
    events: eventStore(db),
    instances: instanceStore(db),
    tasks: taskStore(db),
    people: peopleStore(db),
    pipelines: pipelineStore(db),
    idempotency: idempotencyStore(db),
    webhooks: webhookStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
