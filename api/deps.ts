import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Stores } from '../activities/store';
import type { EgressPolicy } from '../lib/egress';
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
  /** Where webhook URLs may point (WEBHOOK_ALLOW_NETWORKS); without it, no internal address. */
  webhookEgress?: EgressPolicy;
  /** How long a key the operator issues for another company's user lasts (OPERATOR_KEY_TTL); 24 hours without it. */
  operatorKeyTtlMs?: number;
  /** Rate limit and request timeout; DEFAULT_LIMITS where left out (tests set their own per app). */
  limits?: Partial<Limits>;
  /** The Temporal Web UI people open a run in (TEMPORAL_UI_URL), and the namespace: GET /v1/me tells the owner's users, for the console's links. */
  temporalWebUi?: { url: string; namespace: string };
}
