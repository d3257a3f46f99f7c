import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Stores } from '../activities/store';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { Limits } from './limits';

/** What the API is built from; its own module so that the routes, which take it, need not import the app. */
export interface AppDeps {
  temporal: Client;
  taskQueue: string;
  db: Db;
  stores: Stores;
  log: Logger;
  /** One registry per process; made here when the caller has none (tests). */
  metrics?: Metrics;
  /** Rate limit and request timeout; DEFAULT_LIMITS where left out (tests set their own per app). */
  limits?: Partial<Limits>;
}
