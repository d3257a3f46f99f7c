import type { Client } from '@temporalio/client';
import type { Metrics } from '../lib/metrics';
import type { Stores } from './store';

/**
 * What the activities are built from. Besides MongoDB, a step starts the
 * workflows it raises (the pipelines of the records it created, its webhook
 * deliveries) and reaches a shared record's writer, with the worker's own
 * Temporal connection.
 */
export interface ActivityDeps {
  stores: Stores;
  temporal: { client: Client; taskQueue: string };
  metrics?: Metrics;
}
