import express from 'express';
import { inRevisionScope, type RevisionScope } from '../activities/store';
import { MAX_OPERATOR_KEY_TTL_MS } from '../lib/config';
import { createMetrics } from '../lib/metrics';
import type { AppDeps } from './deps';
import { admissionControl } from './admission';
import { authenticate } from './auth';
import { bodylessRoutes, checkBodyStructure, jsonBodiesOnly, utf8Only } from './body';
import { errorMiddleware, unknownRoute } from './errors';
import { idempotent } from './idempotency';
import { instanceClient } from './instance-client';
import { linkChecks, withLinkedMoves } from './links';
import { DEFAULT_LIMITS, rateLimitPerKey, requestTimeout } from './limits';
import { routeTable } from './openapi/document';
import { recordDataGuard } from './record-data';
import { docsRoutes } from './openapi/serve';
import { consoleRoutes } from './console';
import { httpMetrics, requestLogger } from './observability';
import { forecastRoutes } from './routes/forecast';
import { healthRoutes } from './routes/health';
import { instanceRoutes } from './routes/instances';
import { leadRoutes } from './routes/leads';
import { apiKeyRoutes } from './routes/api-keys';
import { companyRoutes } from './routes/companies';
import { peopleRoutes } from './routes/people';
import { partnerRoutes } from './routes/partners';
import { pipelineRoutes } from './routes/pipelines';
import { recordRoutes } from './routes/records';
import { webhookRoutes } from './routes/webhooks';
import { eventRoutes } from './routes/events';
import { securityNotices } from './security-notices';
import { recordCreatedNotices } from '../activities/record-created';
import { apiKeyUseCases } from './use-cases/api-keys';
import { instanceUseCases } from './use-cases/instances';
import { leadUseCases } from './use-cases/leads';
import { recordUseCases } from './use-cases/records';
import { objectTypeUseCases } from './use-cases/object-types';
import { objectTypeRoutes } from './routes/object-types';
import { userUseCases } from './use-cases/users';

export type { AppDeps } from './deps';

/** One revision scope per request, resumed once its body is read (body parsing runs outside the request's async context). */
function revisionScope(): { enter: express.RequestHandler; resume: express.RequestHandler } {
  const scopes = new WeakMap<express.Request, RevisionScope>();
  return {
    enter(req, _res, next) {
      const scope: RevisionScope = new Map();
      scopes.set(req, scope);
      inRevisionScope(next, scope);
    },
    resume(req, _res, next) {
      inRevisionScope(next, scopes.get(req));
    },
  };
}

/** The HTTP API as an express app, built from its dependencies (tests start it on port 0). */
export function createApp(deps: AppDeps): express.Express {
  const metrics = deps.metrics ?? createMetrics('api');
  // Every move's link fields are checked before the move reaches its instance (api/links.ts).
  const instances = withLinkedMoves(instanceClient(deps.temporal, deps.taskQueue, metrics), linkChecks(deps.stores));
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(deps.log));
  app.use(httpMetrics(metrics));
  app.use(requestTimeout(limits.requestTimeoutMs));
  app.use(healthRoutes(deps));
  app.use(docsRoutes());
  app.use(consoleRoutes());
  // Health and readiness above are never shed; everything below waits for a turn or is shed before it is read.
  app.use(
    admissionControl(limits.admission, {
      inFlight: (n) => metrics.admissionInFlight.set(n),
      queued: (n) => metrics.admissionQueued.set(n),
      shed: (reason) => metrics.admissionShed.inc({ reason }),
    }),
  );
  // The metrics are served on a listener of their own (lib/metrics-server.ts), never on this port.
  // Bodies are read only for authenticated callers.
  // Every cached read of the request (the key, the people, the pipelines) checks the revision tokens once.
  const scope = revisionScope();
  app.use(scope.enter);
  app.use(authenticate(deps.stores.people));
  app.use(rateLimitPerKey(limits.rateLimitPerMinute));
  app.use(recordDataGuard);
  app.use(jsonBodiesOnly);
  app.use(express.json({ limit: '256kb', verify: utf8Only }));
  app.use(scope.resume);
  app.use(checkBodyStructure);
  app.use(bodylessRoutes(routeTable));
  // Every POST honours Idempotency-Key; a claim left by a process that died is taken over after twice the request timeout.
  app.use(idempotent(deps.stores.idempotency, { staleAfterMs: 2 * limits.requestTimeoutMs }));
  const keys = apiKeyUseCases({
    stores: deps.stores,
    notifyKeyIssued: securityNotices({ stores: deps.stores, temporal: deps.temporal, taskQueue: deps.taskQueue }),
    operatorKeyTtlMs: deps.operatorKeyTtlMs ?? MAX_OPERATOR_KEY_TTL_MS,
  });
  app.use(companyRoutes(deps, keys));
  app.use(peopleRoutes(deps, userUseCases({ stores: deps.stores })));
  app.use(apiKeyRoutes(deps, keys));
  app.use(pipelineRoutes(deps));
  const records = recordUseCases({
    stores: deps.stores,
    instances,
    recordsCreated: recordCreatedNotices(deps.stores, { client: deps.temporal, taskQueue: deps.taskQueue }),
  });
  const objectTypes = objectTypeUseCases({ stores: deps.stores });
  app.use(objectTypeRoutes(deps, objectTypes));
  app.use(recordRoutes(deps, records, objectTypes));
  const instanceCases = instanceUseCases({ stores: deps.stores, instances });
  app.use(instanceRoutes(deps, instanceCases));
  app.use(forecastRoutes(deps));
  app.use(partnerRoutes(deps));
  app.use(leadRoutes(deps, leadUseCases({ stores: deps.stores, records, moveInstance: instanceCases.moveInstance, moveRunning: instanceCases.moveRunning })));
  app.use(webhookRoutes(deps));
  app.use(eventRoutes(deps));
  app.use(unknownRoute(routeTable));
  app.use(errorMiddleware(deps.log));
  return app;
}
