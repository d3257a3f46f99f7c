import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PROPELLER_VERSION } from './version';

/** Every metric Propeller exports, on one registry per process. */
export function createMetrics(process: 'api' | 'worker') {
  const registry = new Registry();
  registry.setDefaultLabels({ process });
  collectDefaultMetrics({ register: registry, prefix: 'propeller_' });
  const registers = [registry];
  // The usual build-info gauge: always 1, so `propeller_build_info` tells which version each process runs.
  new Gauge({ name: 'propeller_build_info', help: 'The Propeller version this process runs (always 1)', labelNames: ['version'] as const, registers }).set(
    { version: PROPELLER_VERSION },
    1,
  );
  return {
    registry,
    httpRequests: new Counter({
      name: 'propeller_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'propeller_http_request_duration_seconds',
      help: 'HTTP request latency by route and method',
      labelNames: ['route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    movesApplied: new Counter({
      name: 'propeller_moves_applied_total',
      help: 'Stage moves applied, by pipeline and kind (moved, deadline_fired, auto_advanced, started)',
      labelNames: ['pipeline', 'kind'] as const,
      registers,
    }),
    movesRefused: new Counter({
      name: 'propeller_moves_refused_total',
      help: 'Stage moves and task completions refused by the rules, by pipeline and reason',
      labelNames: ['pipeline', 'reason'] as const,
      registers,
    }),
    updatesResent: new Counter({
      name: 'propeller_updates_resent_total',
      help: 'Updates the API sent again because the worker left them unprocessed (none of them had been applied)',
      registers,
    }),
    deadlinesFired: new Counter({
      name: 'propeller_deadlines_fired_total',
      help: 'Stage deadlines that moved an instance, by pipeline',
      labelNames: ['pipeline'] as const,
      registers,
    }),
    tasksCompleted: new Counter({
      name: 'propeller_tasks_completed_total',
      help: 'Tasks completed, by pipeline',
      labelNames: ['pipeline'] as const,
      registers,
    }),
    triggersIgnored: new Counter({
      name: 'propeller_triggers_ignored_total',
      help: 'Triggers that started nothing because the contact is bound to another record, by pipeline',
      labelNames: ['pipeline'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'propeller_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result (delivered, retrying, failed, skipped)',
      labelNames: ['result'] as const,
      registers,
    }),
    admissionInFlight: new Gauge({ name: 'propeller_http_in_flight_requests', help: 'Requests the API is working on (admission control)', registers }),
    admissionQueued: new Gauge({ name: 'propeller_http_queued_requests', help: 'Requests waiting for a turn (admission control)', registers }),
    admissionShed: new Counter({
      name: 'propeller_http_shed_total',
      help: 'Requests shed with 503 overloaded, by reason (queue_full, queue_wait)',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

