import { COLLECTIONS } from '../../activities/store';
import { connectMongo } from '../../lib/mongo';
import type { LifecycleStep } from './sides';
import type { Answer } from './schedule';

/** How an answer leaves a change: applied (2xx), shed (503 overloaded, 429: nothing may have changed), or unknown (no answer, another 5xx). */
export type Outcome = 'applied' | 'shed' | 'unknown' | 'refused';

export function outcomeOf(a: Answer): Outcome {
  if (a.status >= 200 && a.status < 300) return 'applied';
  if (a.status === 429 || (a.status === 503 && a.code === 'overloaded')) return 'shed';
  if (a.status === 0 || a.status >= 500) return 'unknown';
  return 'refused';
}

/** What the overload phase sent, for the check afterwards. */
export interface OverloadLedger {
  tag: string;
  lifecycles: Map<number, { id?: string; steps: Partial<Record<LifecycleStep, Outcome>> }>;
  moves: Map<string, Record<Outcome, number>>;
}

export interface ChangeCheck {
  checked: number;
  lost: number;
  duplicated: number;
  /** A shed write that changed something anyway (it must not). */
  shedButApplied: number;
  problems: string[];
}

const STAGE_OF: Record<LifecycleStep, string> = { create: 'pending', accept: 'accepted', convert: 'closed_converted' };

/**
 * As the fault suites check (test/integration/faults/lead-lifecycles.ts), in
 * MongoDB: each lead acknowledged exactly once by title, each acknowledged
 * step exactly once in its audit trail, no step from a shed request; each
 * ping-pong instance's moves between its acknowledged and its acknowledged
 * plus unknown ones.
 */
export async function checkChanges(mongo: { uri: string; db: string }, ledger: OverloadLedger): Promise<ChangeCheck> {
  const { client, db } = await connectMongo(mongo.uri, mongo.db);
  try {
    const check: ChangeCheck = { checked: 0, lost: 0, duplicated: 0, shedButApplied: 0, problems: [] };
    const problem = (p: string) => check.problems.length < 20 && check.problems.push(p);
    const leads = await db.collection(COLLECTIONS.records).find({ type: 'lead', 'fields.title': { $regex: `^${ledger.tag}-` } }).toArray();
    const byTitle = new Map<string, string[]>();
    for (const r of leads) byTitle.set(String(r.fields?.title), [...(byTitle.get(String(r.fields?.title)) ?? []), String(r._id)]);
    const events = await db.collection(COLLECTIONS.events).find({}, { projection: { recordId: 1, instanceId: 1, kind: 1, to: 1 } }).toArray();
    const stepsOf = new Map<string, string[]>();
    const movesOf = new Map<string, number>();
    for (const e of events) {
      stepsOf.set(String(e.recordId), [...(stepsOf.get(String(e.recordId)) ?? []), String(e.to)]);
      if (e.kind === 'moved') movesOf.set(String(e.instanceId), (movesOf.get(String(e.instanceId)) ?? 0) + 1);
    }
    for (const [i, run] of ledger.lifecycles) {
      const title = `${ledger.tag}-${i}`;
      const ids = byTitle.get(title) ?? [];
      const create = run.steps.create;
      check.checked++;
      if (ids.length > 1) {
        check.duplicated += ids.length - 1;
        problem(`${title}: ${ids.length} lead records`);
      }
      if (create === 'applied' && ids.length === 0) {
        check.lost++;
        problem(`${title}: acknowledged, no lead record`);
      }
      if (create === 'shed' && ids.length > 0) {
        check.shedButApplied++;
        problem(`${title}: its create was shed, yet the lead exists`);
      }
      const id = run.id ?? ids[0];
      if (!id) continue;
      const trail = stepsOf.get(id) ?? [];
      for (const step of ['accept', 'convert'] as const) {
        const outcome = run.steps[step];
        if (!outcome) continue;
        check.checked++;
        const seen = trail.filter((to) => to === STAGE_OF[step]).length;
        if (seen > 1) {
          check.duplicated += seen - 1;
          problem(`${title}: ${step} ${seen} times in the audit trail`);
        }
        if (outcome === 'applied' && seen === 0) {
          check.lost++;
          problem(`${title}: ${step} acknowledged, not in the audit trail`);
        }
        if (outcome === 'shed' && seen > 0) {
          check.shedButApplied++;
          problem(`${title}: ${step} was shed, yet it is in the audit trail`);
        }
      }
    }
    for (const [instance, o] of ledger.moves) {
      check.checked += o.applied;
      const seen = movesOf.get(instance) ?? 0;
      if (seen < o.applied) {
        check.lost += o.applied - seen;
        problem(`${instance}: ${o.applied} moves acknowledged, ${seen} applied`);
      }
      if (seen > o.applied + o.unknown) {
        check.duplicated += seen - o.applied - o.unknown;
        problem(`${instance}: ${seen} moves applied, ${o.applied} acknowledged and ${o.unknown} unanswered`);
      }
    }
    return check;
  } finally {
    await client.close();
  }
}
