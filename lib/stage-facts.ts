/**
 * The rules of the analytics rollup, pure: what one stage change (or a
 * cancellation) leaves as a compact fact once the instance's earlier changes
 * are known, and how a day's facts are packed into one string.
 *
 * Why facts carry their look-back (when the instance entered the stage it
 * leaves, when it started, which stages it had seen): a window's answer then
 * needs only the facts dated inside it, never the instance's older history.
 * Why one packed string per day: FerretDB 1.24 on SQLite returns a year of
 * facts (300k) stored as sub-documents in ~25 s, and as one string per day in
 * ~1.5 s (measured on this project's 2-core host).
 */

/** A stage-changing audit event (one naming a `to` stage), or a cancellation with the stage it was cancelled in. */
export interface FactEvent {
  eventId: string;
  instanceId: string;
  /** The step's sequence in its run: orders two events of one instance at the same millisecond. */
  seq: number;
  kind: string;
  from?: string;
  to?: string;
  /** For a cancellation: the stage the instance stood in. */
  stage?: string;
  at: string;
  /** The partner company the record was assigned to once the step was written. */
  partnerCompanyId?: string;
}

/** What the rollup remembers of an instance between folds: enough to derive its next fact. */
export interface InstanceCursor {
  startedAt: number;
  /** When it entered the stage it stands in. */
  lastAt: number;
  stage: string;
  /** Every stage it has entered, in order of first entry. */
  seen: string[];
  cancelled: boolean;
  /** The order key (at, seq) of the newest event applied: an older or equal one is a replay. */
  last: [number, number];
}

export interface StageFact {
  eventId: string;
  instanceId: string;
  kind: string;
  from?: string;
  to?: string;
  at: number;
  /** When the instance entered `from`: absent when its entry is unknown (no earlier change). */
  enteredAt?: number;
  startedAt: number;
  /** The stages entered before, only on a first entry of `to` (a re-entry can never be a first outcome). */
  seen?: string[];
  partnerCompanyId?: string;
}

const orderOf = (e: Pick<FactEvent, 'at' | 'seq'>): [number, number] => [Date.parse(e.at), e.seq];
export const before = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/**
 * Applies one event to an instance's cursor. Answers undefined for a replay
 * (an activity retried after the fold took its event), so it counts once.
 */
export function applyEvent(cursor: InstanceCursor | undefined, e: FactEvent): { fact: StageFact; cursor: InstanceCursor } | undefined {
  const order = orderOf(e);
  if (cursor && !before(cursor.last, order)) return undefined;
  const at = order[0];
  const base = { eventId: e.eventId, instanceId: e.instanceId, kind: e.kind, at, ...(e.partnerCompanyId ? { partnerCompanyId: e.partnerCompanyId } : {}) };
  if (e.to === undefined) {
    // A cancellation: no stage change, so durations and starts are untouched; the instance stops standing.
    const stage = e.stage ?? cursor?.stage;
    const fact: StageFact = { ...base, startedAt: cursor?.startedAt ?? at, ...(stage !== undefined ? { from: stage } : {}) };
    const next: InstanceCursor = cursor ? { ...cursor, cancelled: true, last: order } : { startedAt: at, lastAt: at, stage: stage ?? '', seen: [], cancelled: true, last: order };
    return { fact, cursor: next };
  }
  const seen = cursor?.seen ?? [];
  const firstEntry = !seen.includes(e.to);
  const fact: StageFact = {
    ...base,
    ...(e.from !== undefined ? { from: e.from } : {}),
    to: e.to,
    ...(e.from !== undefined && cursor ? { enteredAt: cursor.lastAt } : {}),
    startedAt: cursor?.startedAt ?? at,
    ...(firstEntry ? { seen: [...seen] } : {}),
  };
  const next: InstanceCursor = {
    startedAt: cursor?.startedAt ?? at,
    lastAt: at,
    stage: e.to,
    seen: firstEntry ? [...seen, e.to] : seen,
    cancelled: false,
    last: order,
  };
  return { fact, cursor: next };
}

/** An instance's events in any order, from a cursor (or none): its facts in order, and the cursor after them. */
export function applyEvents(cursor: InstanceCursor | undefined, events: readonly FactEvent[]): { facts: StageFact[]; cursor: InstanceCursor | undefined } {
  const sorted = [...events].sort((a, b) => (before(orderOf(a), orderOf(b)) ? -1 : before(orderOf(b), orderOf(a)) ? 1 : 0));
  const facts: StageFact[] = [];
  let current = cursor;
  for (const e of sorted) {
    const applied = applyEvent(current, e);
    if (!applied) continue;
    facts.push(applied.fact);
    current = applied.cursor;
  }
  return { facts, cursor: current };
}

/** Instances standing in each stage: not cancelled, whatever their status (an outcome stage holds its finished ones). */
export function standingOf(cursors: Iterable<InstanceCursor>): Map<string, number> {
  const now = new Map<string, number>();
  for (const c of cursors) if (!c.cancelled && c.stage) now.set(c.stage, (now.get(c.stage) ?? 0) + 1);
  return now;
}

/** The UTC day a fact belongs to: the key of its rollup document. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type Tuple = [string, string, string, string | null, string | null, number, number | null, number, string[] | null, string | null];

/** One string for a day's facts: a JSON array of tuples, one value for the database to store and return. */
export function encodeFacts(facts: readonly StageFact[]): string {
  const tuples: Tuple[] = facts.map((f) => [f.eventId, f.instanceId, f.kind, f.from ?? null, f.to ?? null, f.at, f.enteredAt ?? null, f.startedAt, f.seen ?? null, f.partnerCompanyId ?? null]);
  return JSON.stringify(tuples);
}

export function decodeFacts(packed: string): StageFact[] {
  return (JSON.parse(packed) as Tuple[]).map(([eventId, instanceId, kind, from, to, at, enteredAt, startedAt, seen, partnerCompanyId]) => ({
    eventId,
    instanceId,
    kind,
    ...(from !== null ? { from } : {}),
    ...(to !== null ? { to } : {}),
    at,
    ...(enteredAt !== null ? { enteredAt } : {}),
    startedAt,
    ...(seen !== null ? { seen } : {}),
    ...(partnerCompanyId !== null ? { partnerCompanyId } : {}),
  }));
}

/** How many instances an instance's cursor stands in each stage: one in its stage, or none once cancelled. */
function standsIn(c: InstanceCursor | undefined): string | undefined {
  return c && !c.cancelled && c.stage ? c.stage : undefined;
}

/**
 * Folds one batch of events, grouped by instance, onto the cursors of those
 * instances alone: the facts they leave, the cursors after them (only those
 * that changed), and how the standing counts change (stage → +/- instances).
 * Replays (events a cursor already took) leave nothing, so a batch folded
 * twice adds no fact and no count.
 */
export function foldBatch(
  cursors: ReadonlyMap<string, InstanceCursor>,
  byInstance: ReadonlyMap<string, readonly FactEvent[]>,
): { facts: StageFact[]; cursors: Map<string, InstanceCursor>; delta: Map<string, number> } {
  const facts: StageFact[] = [];
  const after = new Map<string, InstanceCursor>();
  const delta = new Map<string, number>();
  const add = (stage: string | undefined, n: number) => {
    if (stage === undefined) return;
    const v = (delta.get(stage) ?? 0) + n;
    if (v === 0) delta.delete(stage);
    else delta.set(stage, v);
  };
  for (const [instanceId, events] of byInstance) {
    const before = cursors.get(instanceId);
    const applied = applyEvents(before, events);
    if (applied.facts.length === 0 || !applied.cursor) continue;
    facts.push(...applied.facts);
    after.set(instanceId, applied.cursor);
    add(standsIn(before), -1);
    add(standsIn(applied.cursor), 1);
  }
  return { facts, cursors: after, delta };
}

/** Standing counts plus a delta, without stages left at zero. */
export function withDelta(standing: ReadonlyMap<string, number>, delta: ReadonlyMap<string, number>): Map<string, number> {
  const next = new Map(standing);
  for (const [stage, n] of delta) {
    const v = (next.get(stage) ?? 0) + n;
    if (v === 0) next.delete(stage);
    else next.set(stage, v);
  }
  return next;
}
