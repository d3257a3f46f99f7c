import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../workflows/domain/duration';
import { WEBHOOK_DISABLE_AFTER_DAYS, WEBHOOK_RETRY_SCHEDULE_MS, type WebhookRetry } from '../workflows/domain/webhook-retry';

/** `0,5s,5m` → [0, 5000, 300000]; undefined when any part is not a duration. */
export function parseSchedule(text: string): number[] | undefined {
  const steps = text.split(',').map((part) => (part.trim() === '0' ? 0 : parseDuration(part)));
  return steps.length > 0 && steps.every((s): s is number => s !== undefined) ? steps : undefined;
}
import { parseNetworks } from './egress';

/**
 * Every setting Propeller reads, from the environment, parsed once at start.
 * The worker, the API and the scripts all call `loadConfig()`; nothing else
 * reads `process.env`.
 */
const port = z.coerce.number().int().min(1).max(65_535);
/** A break-glass key lasts a working day at most. */
export const MAX_OPERATOR_KEY_TTL_MS = 24 * 3_600_000;
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const Env = z.object({
  // Temporal
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('propeller'),
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_TLS_CERT: optionalText,
  TEMPORAL_TLS_KEY: optionalText,
  /** Where people open the Temporal Web UI; the local dev server's (TEMPORAL_UI_PORT) when Propeller runs its own Temporal. */
  TEMPORAL_UI_URL: optionalText.pipe(z.string().url().optional()),
  // MongoDB
  MONGODB_URI: optionalText,
  MONGODB_DB: z.string().min(1).default('propeller'),
  // Local stack (scripts/start.ts)
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  FERRETDB_PORT: port.default(27017),
  FERRETDB_HANDLER: z.enum(['sqlite', 'postgresql']).default('sqlite'),
  FERRETDB_POSTGRESQL_URL: optionalText,
  DATA_DIR: z.string().min(1).default('.data'),
  /** `npm run cluster`: the PostgreSQL server its Temporal databases (and FerretDB's) live on. */
  TEMPORAL_POSTGRES_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432'),
  PROPELLER_CACHE_DIR: optionalText,
  // API
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** Requests one API key may make per minute (per API process); over it, 429 with Retry-After. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** How long one request may take (receiving it included) before the API answers 503 timeout. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Admission control (api/admission.ts): requests handled at once, how many may wait, and for how long, before 503 overloaded. */
  ADMISSION_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(64),
  ADMISSION_QUEUE_LIMIT: z.coerce.number().int().min(0).default(128),
  ADMISSION_QUEUE_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
  /** The API's Prometheus endpoint: a listener of its own, never the public port. */
  API_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  API_METRICS_PORT: port.default(9470),
  /** How long a key the platform operator issues for a tenant's user works (break-glass): at most 24 hours. */
  OPERATOR_KEY_TTL: z
    .string()
    .default('24h')
    .refine((v) => (parseDuration(v) ?? 0) >= 60_000 && (parseDuration(v) ?? Infinity) <= MAX_OPERATOR_KEY_TTL_MS, 'a duration from 1m to 24h, e.g. "4h"'),
  /** Internal networks webhooks may be delivered to (CIDRs, comma-separated); every other internal address is refused. */
  WEBHOOK_ALLOW_NETWORKS: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      const { problems } = parseNetworks(v);
      if (problems.length > 0) ctx.addIssue({ code: 'custom', message: `not a CIDR: ${problems.join(', ')} (e.g. 127.0.0.1/32,10.20.0.0/16)` });
    }),
  /** The wait before each webhook try, as durations (`0,5s,5m,…`); unset: the published schedule. Tests shorten it. */
  WEBHOOK_RETRY_SCHEDULE: optionalText.refine((v) => v === undefined || parseSchedule(v) !== undefined, 'durations separated by commas, the first usually 0 (e.g. "0,5s,5m,30m")'),
  /** An endpoint failing this long with no success is disabled (5d). */
  WEBHOOK_DISABLE_AFTER: z.string().default(`${WEBHOOK_DISABLE_AFTER_DAYS}d`).refine((v) => parseDuration(v) !== undefined, 'a duration, e.g. "5d"'),
  // Worker
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).default(2_000),
  WORKFLOW_BUNDLE_PATH: optionalText,
  WORKER_METRICS_PORT: port.default(9464),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** How often each worker folds the analytics rollup's waiting stage changes into its day documents. */
  ROLLUP_FOLD_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
  // Logs
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The name of every environment variable `loadConfig()` reads (docker-compose.yml must name each). */
export const CONFIG_VARIABLES = Object.keys(Env.shape) as ReadonlyArray<keyof typeof Env.shape>;

export interface Config {
  temporal: {
    /** Set when the user points Propeller at an existing Temporal service. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    apiKey: string | undefined;
    tls: { certPath: string; keyPath: string } | undefined;
    /** The Temporal Web UI's address, for links to a run (TEMPORAL_UI_URL); unknown for a service of yours without it. */
    webUiUrl: string | undefined;
  };
  mongo: { uri: string | undefined; db: string };
  local: {
    temporalPort: number;
    temporalUiPort: number;
    ferretdbPort: number;
    ferretdbHandler: 'sqlite' | 'postgresql';
    ferretdbPostgresUrl: string | undefined;
    dataDir: string;
    cacheDir: string | undefined;
    temporalPostgresUrl: string;
  };
  api: {
    host: string;
    port: number;
    rateLimitPerMinute: number;
    requestTimeoutMs: number;
    admission: { maxInFlight: number; queueLimit: number; queueWaitMs: number };
    metrics: { host: string; port: number };
    /** How long an API key the operator issues for another company's user stays valid. */
    operatorKeyTtlMs: number;
  };
  /** Internal networks webhook deliveries may reach (CIDRs); empty: none. */
  webhooks: { allowNetworks: string[]; retry: WebhookRetry };
  worker: {
    shutdownGraceMs: number;
    maxCachedWorkflows: number;
    workflowBundlePath: string | undefined;
    metrics: { host: string; port: number };
    rollupFoldIntervalMs: number;
  };
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Parses the environment; throws a ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both or neither');
  }
  if (e.FERRETDB_HANDLER === 'postgresql' && !e.FERRETDB_POSTGRESQL_URL) {
    problems.push('FERRETDB_POSTGRESQL_URL: required when FERRETDB_HANDLER=postgresql');
  }
  if (e.ADMISSION_QUEUE_WAIT_MS >= e.REQUEST_TIMEOUT_MS) {
    problems.push('ADMISSION_QUEUE_WAIT_MS: must be shorter than REQUEST_TIMEOUT_MS (a request shed at the end of its wait must still be answered in time)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze<Config>({
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls:
        e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY
          ? { certPath: e.TEMPORAL_TLS_CERT, keyPath: e.TEMPORAL_TLS_KEY }
          : undefined,
      webUiUrl: e.TEMPORAL_UI_URL ?? (e.TEMPORAL_ADDRESS ? undefined : `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`),
    },
    mongo: { uri: e.MONGODB_URI, db: e.MONGODB_DB },
    local: {
      temporalPort: e.TEMPORAL_PORT,
      temporalUiPort: e.TEMPORAL_UI_PORT,
      ferretdbPort: e.FERRETDB_PORT,
      ferretdbHandler: e.FERRETDB_HANDLER,
      ferretdbPostgresUrl: e.FERRETDB_POSTGRESQL_URL,
      dataDir: path.resolve(e.DATA_DIR),
      cacheDir: e.PROPELLER_CACHE_DIR,
      temporalPostgresUrl: e.TEMPORAL_POSTGRES_URL,
    },
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      admission: { maxInFlight: e.ADMISSION_MAX_IN_FLIGHT, queueLimit: e.ADMISSION_QUEUE_LIMIT, queueWaitMs: e.ADMISSION_QUEUE_WAIT_MS },
      metrics: { host: e.API_METRICS_HOST, port: e.API_METRICS_PORT },
      operatorKeyTtlMs: parseDuration(e.OPERATOR_KEY_TTL)!,
    },
    webhooks: {
      allowNetworks: parseNetworks(e.WEBHOOK_ALLOW_NETWORKS).networks,
      retry: { schedule: (e.WEBHOOK_RETRY_SCHEDULE && parseSchedule(e.WEBHOOK_RETRY_SCHEDULE)) || WEBHOOK_RETRY_SCHEDULE_MS, disableAfterMs: parseDuration(e.WEBHOOK_DISABLE_AFTER)! },
    },
    worker: {
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      metrics: { host: e.WORKER_METRICS_HOST, port: e.WORKER_METRICS_PORT },
      rollupFoldIntervalMs: e.ROLLUP_FOLD_INTERVAL_MS,
    },
    logLevel: e.LOG_LEVEL,
  });
}

/** Where the worker and API connect: the configured service, or the local stack's. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.local.temporalPort}`;
}

export function mongoUri(config: Config): string {
  return config.mongo.uri ?? `mongodb://127.0.0.1:${config.local.ferretdbPort}/`;
}
