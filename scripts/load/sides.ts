import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { startAttributes, startedUpdate, stepUpdate, type LifecycleInput } from '../bench/baseline-workflows';
import { shortId } from '../bench/env';
import { SEVEN_DAYS_MS } from '../bench/scenarios/drivers';
import { nowMs } from '../bench/stats';
import type { Answer } from './schedule';

/** What the loader drives: a lifecycle (three chained calls) and a move, each answer reported as it comes. */
export interface Side {
  name: 'Propeller' | 'bare Temporal';
  lifecycle(i: number, dueAt: number, answer: (step: LifecycleStep, a: Answer, id?: string) => void): Promise<void>;
  move(i: number, dueAt: number, answer: (a: Answer, target: string) => void): Promise<void>;
}

export type LifecycleStep = 'create' | 'accept' | 'convert';

export interface PropellerKeys {
  sales: string;
  partner: string;
  admin: string;
  partnerCompanyId: string;
}

/** One API call, bounded by `timeoutMs` (no answer: status 0); round robin over the API's URLs. */
export function apiCaller(urls: string[], timeoutMs: number) {
  let next = 0;
  return async (key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const url = urls[next++ % urls.length]!;
    try {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        // not JSON: the status says enough
      }
      return { status: res.status, json };
    } catch {
      return { status: 0, json: {} };
    }
  };
}

export type ApiCall = ReturnType<typeof apiCaller>;

/** Propeller over HTTP: sales creates a lead for partner A, who accepts and converts it; moves go back and forth on ping-pong instances. */
export function propellerSide(call: ApiCall, keys: PropellerKeys, moveTargets: string[], tag: string, stages = new Map<string, number>()): Side {
  // `stages`: moves made on each instance so far, shared by every side that moves the same instances.
  return {
    name: 'Propeller',
    async lifecycle(i, dueAt, answer) {
      let from = dueAt;
      const step = async (name: LifecycleStep, key: string, path: string, body: unknown) => {
        const r = await call(key, 'POST', path, body);
        const at = nowMs();
        answer(name, { status: r.status, ms: at - from, code: errorCode(r.json) }, typeof r.json.id === 'string' ? r.json.id : undefined);
        from = at;
        return r.status >= 200 && r.status < 300 ? r : undefined;
      };
      const created = await step('create', keys.sales, '/v1/records/lead', { fields: { title: `${tag}-${i}`, amount: 1_000 + i }, partnerCompanyId: keys.partnerCompanyId });
      const id = created?.json.id as string | undefined;
      if (!id) return;
      if (!(await step('accept', keys.partner, `/v1/leads/${id}/accept`, {}))) return;
      await step('convert', keys.partner, `/v1/leads/${id}/convert`, { opportunity: { fields: {} } });
    },
    async move(i, dueAt, answer) {
      const target = moveTargets[i % moveTargets.length]!;
      const n = stages.get(target) ?? 0;
      stages.set(target, n + 1);
      const r = await call(keys.sales, 'POST', `/v1/instances/${encodeURIComponent(target)}/moves`, { to: n % 2 === 0 ? 'pong' : 'ping' });
      answer({ status: r.status, ms: nowMs() - dueAt, code: errorCode(r.json) }, target);
    },
  };
}

const errorCode = (json: Record<string, unknown>) => (json.error as { code?: string } | undefined)?.code;

/** Bare Temporal through the same scheduler: update-with-start → update → update, and updates on bare update loops. */
export function bareSide(client: Client, taskQueue: string, loops: string[], timeoutMs: number): Side {
  const run = shortId();
  const input: LifecycleInput = { steps: 2, deadlineMs: SEVEN_DAYS_MS };
  const bounded = async <T>(work: Promise<T>): Promise<number> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(0), timeoutMs)));
    try {
      return await Promise.race([work.then(() => 200, () => 500), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    name: 'bare Temporal',
    async lifecycle(i, dueAt, answer) {
      const id = `bare-load:${run}-${i}`;
      const handle = client.workflow.getHandle(id);
      let from = dueAt;
      const step = async (name: LifecycleStep, work: () => Promise<unknown>) => {
        const status = await bounded(work());
        const at = nowMs();
        answer(name, { status, ms: at - from });
        from = at;
        return status === 200;
      };
      const operation = new WithStartWorkflowOperation('bareLifecycle', {
        workflowId: id,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: startAttributes(input, Date.now()),
      });
      if (!(await step('create', () => client.workflow.executeUpdateWithStart(startedUpdate, { startWorkflowOperation: operation })))) return;
      if (!(await step('accept', () => handle.executeUpdate(stepUpdate, { args: [{}] })))) return;
      await step('convert', () => handle.executeUpdate(stepUpdate, { args: [{}] }));
    },
    async move(i, dueAt, answer) {
      const target = loops[i % loops.length]!;
      const status = await bounded(client.workflow.getHandle(target).executeUpdate(stepUpdate, { args: [{}] }));
      answer({ status, ms: nowMs() - dueAt }, target);
    },
  };
}
