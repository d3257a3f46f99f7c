import crypto from 'node:crypto';
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { AppError, refusal } from './errors';

/*
 * How the API waits on Temporal and answers for it: deadlines, a watch on the
 * server while calls wait, resends of updates the worker left unprocessed,
 * and Temporal's errors as HTTP answers. The calls themselves are in
 * instance-client.ts.
 */

/**
 * How long the API waits on Temporal, below the request timeout (30 s by
 * default) so that the answer says what was slow. Reads and signals are quick
 * when Temporal is up; an update or a trigger waits for a worker to run the
 * step, which after a worker crash can take a while.
 */
export const TEMPORAL_CALL_TIMEOUTS = {
  readMs: 10_000,
  writeMs: 20_000,
  /** While calls wait, the server is pinged this often, each ping with this deadline... */
  pingEveryMs: 1_000,
  pingTimeoutMs: 1_500,
  /** ...and this many pings in a row without an answer end the waiting calls at once. */
  pingMisses: 2,
};

const unavailable = () => new AppError(503, 'temporal_unavailable', 'Temporal is not reachable; try again shortly');

/** The gRPC error behind a client error: the SDK wraps most of them in a ServiceError. */
function grpcCause(err: unknown) {
  if (isGrpcServiceError(err)) return err;
  if ((err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) && isGrpcServiceError(err.cause)) return err.cause;
  return undefined;
}

/**
 * The server's answer when the worker completed the workflow task that carried
 * an update without accepting or rejecting it (the SDK can drop an update that
 * arrives while the task runs a local activity). The update was not applied, and
 * none of it is kept, so sending it again under the same id is safe.
 */
const UNPROCESSED_UPDATE = 'UnprocessedUpdate';
const UNPROCESSED_RESENDS = 5;

export const isUnprocessed = (err: unknown) =>
  err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === UNPROCESSED_UPDATE;

/** A rule's refusal, thrown by the instance, as the API answers it (api/errors.ts `refusal`). */
function refusalAnswer(failure: ApplicationFailure): AppError {
  return refusal(failure.type ?? 'refused', failure.message, (failure.details?.[0] ?? undefined) as Record<string, unknown> | undefined);
}

/** A Temporal client error as the API answers it: refusals 409 with their reason, "not now" 503, anything else unchanged (a 500). */
export function toAppError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isUnprocessed(err)) {
    return new AppError(503, 'instance_busy', 'the instance did not take the change; nothing was applied: retry shortly');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return refusalAnswer(err.cause);
  }
  if (err instanceof WorkflowNotFoundError) return new AppError(404, 'not_found', 'instance not found');
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new AppError(409, 'already_running', 'an instance of this pipeline is already running for this record');
  }
  const grpc = grpcCause(err);
  if (grpc?.code === GrpcStatus.NOT_FOUND) return new AppError(404, 'not_found', 'instance not found');
  if (grpc?.code === GrpcStatus.UNAVAILABLE) return unavailable();
  if (
    grpc?.code === GrpcStatus.DEADLINE_EXCEEDED ||
    // A long poll (a workflow's result, an update's outcome) cut off at its deadline can surface as CANCELLED.
    grpc?.code === GrpcStatus.CANCELLED ||
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError
  ) {
    // Temporal answers, the instance did not in time: its worker is busy or being restarted.
    return new AppError(
      503,
      'temporal_timeout',
      'the pipeline instance did not answer in time (its worker may be restarting); the change may still be applied: retry with the same Idempotency-Key',
    );
  }
  if (grpc?.code === GrpcStatus.RESOURCE_EXHAUSTED) {
    // 503, not 429: a 429 would be kept as the final answer of its Idempotency-Key, and this one is only "not now".
    return new AppError(503, 'instance_busy', 'too many changes are in flight on this instance; retry shortly');
  }
  if (grpc?.code === GrpcStatus.FAILED_PRECONDITION) {
    return new AppError(409, 'not_running', 'the instance is no longer running');
  }
  return err;
}

/**
 * Watches that the Temporal server answers while API calls wait on it: one
 * ping loop per client, running only while a call is in flight. When the
 * server misses `pingMisses` pings in a row, every waiting call is answered
 * 503 temporal_unavailable at once instead of at its deadline.
 */
export function serverWatch(client: Client) {
  const { pingEveryMs, pingTimeoutMs, pingMisses } = TEMPORAL_CALL_TIMEOUTS;
  const waiting = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let misses = 0;
  let pinging = false;

  function ping(): void {
    if (pinging) return;
    pinging = true;
    client.connection
      .withDeadline(Date.now() + pingTimeoutMs, () => client.workflowService.getSystemInfo({}))
      .then(
        () => (misses = 0),
        () => {
          if (++misses >= pingMisses) for (const down of [...waiting]) down();
        },
      )
      .finally(() => (pinging = false));
  }

  return {
    /** A promise that rejects when the server stops answering; call `done` once the call is over. */
    watch(): { down: Promise<never>; done: () => void } {
      let onDown!: () => void;
      const down = new Promise<never>((_, reject) => (onDown = () => reject(unavailable())));
      down.catch(() => undefined);
      waiting.add(onDown);
      if (!timer) {
        timer = setInterval(ping, pingEveryMs);
        timer.unref();
      }
      const done = () => {
        waiting.delete(onDown);
        if (waiting.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          misses = 0;
        }
      };
      return { down, done };
    },
  };
}

/**
 * Runs one Temporal call within `ms` (a gRPC deadline on every request it
 * makes), and answers 503 temporal_unavailable as soon as the server stops
 * answering meanwhile. Before this, a request made while Temporal was down
 * hung until the HTTP request timeout, and a failed start or update came out
 * as a 500. The API's connection retries an unreachable server only briefly
 * (lib/temporal.ts), so a call refused that way is not delivered later; a call
 * given up on at its deadline may still be applied, which the message says.
 */
export async function bounded<T>(watcher: ReturnType<typeof serverWatch>, client: Client, ms: number, call: () => Promise<T>): Promise<T> {
  const { down, done } = watcher.watch();
  const running = client.withDeadline(Date.now() + ms, call);
  running.catch(() => undefined); // when the watch wins the race
  try {
    return await Promise.race([running, down]);
  } finally {
    done();
  }
}

export async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toAppError(err);
  }
}

/** The caller already found the instance: an update it cannot deliver means the run has closed. */
export async function updating<T>(call: () => Promise<T>, refused?: (reason: string) => void): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (refused && err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      refused(err.cause.type ?? 'refused');
    }
    const closed = err instanceof WorkflowNotFoundError || grpcCause(err)?.code === GrpcStatus.NOT_FOUND;
    if (closed) throw new AppError(409, 'not_running', 'the instance is no longer running');
    throw toAppError(err);
  }
}

/**
 * Update ids are per caller and key, so one caller's key never collides with
 * another's; a call without a key gets an id of its own, kept across its resends.
 */
export const updateId = (actorId: string, key: string | undefined) =>
  key ? crypto.createHash('sha256').update(`${actorId}\0${key}`).digest('base64url') : crypto.randomUUID();

/** Sends an update again, a little later, for as long as the worker leaves it unprocessed. */
export async function resent<T>(send: () => Promise<T>, onResend?: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!isUnprocessed(err) || attempt > UNPROCESSED_RESENDS) throw err;
      onResend?.();
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}
