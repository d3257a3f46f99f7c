import type { RequestHandler } from 'express';
import { AppError, sendError } from './errors';

/** How many requests one API process works on at once, and how long the excess may wait for a turn. */
export interface AdmissionLimits {
  /** Requests handled at once (ADMISSION_MAX_IN_FLIGHT, default 64). */
  maxInFlight: number;
  /** Requests that may wait for a turn (ADMISSION_QUEUE_LIMIT, default 128); beyond it, shed at once. */
  queueLimit: number;
  /** How long a waiting request may wait before it is shed (ADMISSION_QUEUE_WAIT_MS, default 2000). */
  queueWaitMs: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxInFlight: 64, queueLimit: 128, queueWaitMs: 2_000 };

/** Seconds an overloaded API asks a caller to wait: about one queue wait, at least one second. */
const retryAfterSeconds = (limits: AdmissionLimits) => String(Math.max(1, Math.ceil(limits.queueWaitMs / 1000)));

export interface AdmissionGauges {
  inFlight(n: number): void;
  queued(n: number): void;
  shed(reason: 'queue_full' | 'queue_wait'): void;
}

/**
 * Admission control: at most `maxInFlight` requests run at once; the next
 * `queueLimit` wait in line (first come, first served) for at most
 * `queueWaitMs`; the rest are shed with 503 `overloaded` and Retry-After
 * before anything is read or written, so a shed write changed nothing. Under
 * overload the API then answers everyone within about the queue wait plus
 * the time `maxInFlight` requests take, far inside REQUEST_TIMEOUT_MS, instead
 * of piling every request onto Temporal and MongoDB until all of them time
 * out. A turn is handed back when the response finishes or its connection
 * closes, whichever comes first, exactly once.
 */
export function admissionControl(limits: AdmissionLimits, gauges?: AdmissionGauges): RequestHandler {
  let inFlight = 0;
  const waiting: Array<{ admit: () => void }> = [];
  const report = () => {
    gauges?.inFlight(inFlight);
    gauges?.queued(waiting.length);
  };
  const release = () => {
    inFlight--;
    const next = waiting.shift();
    if (next) next.admit();
    report();
  };
  return (req, res, next) => {
    const start = () => {
      inFlight++;
      report();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        release();
      };
      res.once('finish', finish);
      res.once('close', finish);
      next();
    };
    if (inFlight < limits.maxInFlight) return start();
    const shed = (reason: 'queue_full' | 'queue_wait') => {
      gauges?.shed(reason);
      res.set('Retry-After', retryAfterSeconds(limits));
      sendError(req, res, new AppError(503, 'overloaded', 'the API is at capacity and did not run this request (nothing was changed); retry after the Retry-After seconds', {
        reason,
        maxInFlight: limits.maxInFlight,
        queueLimit: limits.queueLimit,
        queueWaitMs: limits.queueWaitMs,
      }));
    };
    if (waiting.length >= limits.queueLimit) return shed('queue_full');
    const entry = {
      admit: () => {
        clearTimeout(timer);
        res.off('close', gone);
        start();
      },
    };
    const leave = () => {
      const at = waiting.indexOf(entry);
      if (at >= 0) waiting.splice(at, 1);
      report();
    };
    const timer = setTimeout(() => {
      leave();
      res.off('close', gone);
      shed('queue_wait');
    }, limits.queueWaitMs);
    // A caller that gave up while waiting takes no turn.
    const gone = () => {
      clearTimeout(timer);
      leave();
    };
    res.once('close', gone);
    waiting.push(entry);
    report();
  };
}
