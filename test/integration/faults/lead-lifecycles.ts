import fs from 'node:fs';
import path from 'node:path';
import { COLLECTIONS } from '../../../activities/store';
import { LEAD_STAGES, partnerLeadTemplate } from '../../../workflows/domain/templates/partner-lead';
import type { AuditEvent } from '../../../workflows/transition';
import type { TestUser } from '../../support/auth';
import type { DemoWorld } from '../../support/demo';
import { eventually, type Harness } from '../../support/harness';
import { startedInstanceId } from '../../support/instances';
import { publishPipeline } from '../../support/pipelines';

/**
 * The lead lifecycles the fault suites run through the HTTP API while a fault
 * is injected, and the checks made afterwards. Shared by worker-kill,
 * temporal-restart and ferretdb-outage; sizes come from the environment so the
 * same files run short in `npm test` and long in `npm run test:faults`.
 */

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return value;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated with FAULT_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const FAULT_SEED = envInt('FAULT_SEED', 20_240_601);
export const FAULT_LEADS = envInt('FAULT_LEADS', 30);
export const FAULT_CONCURRENCY = envInt('FAULT_CONCURRENCY', 8);

/** The slow program (1h windows) for every lead not marked `fast`. */
export const LEAD_KEY = 'partner-lead';
/** The same program with a 3-second conversion window, for leads created with `fast: true`. */
export const FAST_KEY = 'partner-lead-fast';
/** Its stage field: only one enabled pipeline may hold a type's stage field. */
export const FAST_FIELD = 'programStatus';

export async function publishLeadPrograms(h: Harness, admin: TestUser): Promise<void> {
  const slow = partnerLeadTemplate({ key: LEAD_KEY, acceptWithin: '1h', convertWithin: '1h' });
  slow.filter = { and: [{ op: 'exists', path: 'record.partnerCompanyId', value: true }, { op: 'ne', path: 'record.fast', value: true }] };
  const fast = partnerLeadTemplate({ key: FAST_KEY, acceptWithin: '1h', convertWithin: '3s', stageField: FAST_FIELD });
  fast.filter = { and: [{ op: 'exists', path: 'record.partnerCompanyId', value: true }, { op: 'eq', path: 'record.fast', value: true }] };
  await publishPipeline(h, admin, slow);
  await publishPipeline(h, admin, fast);
}

/** What happens to one lead. */
export type LeadPlan = 'convert' | 'close' | 'decline' | 'expire_pending' | 'expire_accepted';

type Op = 'accept' | 'convert' | 'close' | 'decline';
type Outcome = 'applied' | 'refused' | 'ambiguous';

interface LeadRun {
  index: number;
  plan: LeadPlan;
  title: string;
  id?: string;
  instanceId?: string;
  ops: Array<{ op: Op; outcome: Outcome; status: number; code?: string }>;
  /** Creates answered 503 or timed out; the lead was then found by its title (or created again). */
  createRetries: number;
  /** Seeded: where in its window an expiring lead's deadline falls. */
  jitter: number;
}

export interface DriveStats {
  requests: number;
  /** Answers that told the client to come back (503, 429) and network errors: each retried with the same Idempotency-Key. */
  retried: number;
  byStatus: Record<string, number>;
  /** Requests that did not answer within the client's timeout. */
  hung: number;
  maxResponseMs: number;
  /** Answers with a 5xx other than 503: never expected. */
  unexpected: Array<{ path: string; status: number; body: unknown }>;
  /** The first few answers that were retried: what the API said and how long it took. */
  retries: Array<{ path: string; status: number; code?: string; message?: string; ms: number }>;
}

export interface DriveOptions {
  leads: number;
  concurrency: number;
  seed: number;
  /** A unique prefix for this run's lead titles. */
  tag: string;
  /** The client gives a request up (and counts it as hung) after this long. */
  clientTimeoutMs?: number;
  /** Called after every completed operation with the number done so far (drives the fault schedule). */
  onProgress?: (done: number, total: number) => void;
  /** Which API each request goes to (several API processes behind a client-side balancer); `h.apiUrl` by default. */
  apiUrl?: () => string;
  /** Called with every answer (or network error, status 0): when it was sent and how long it took. */
  onResponse?: (r: { method: string; path: string; status: number; sentAt: number; ms: number }) => void;
}

const PLAN_WEIGHTS: Array<[LeadPlan, number]> = [
  ['convert', 0.45],
  ['close', 0.1],
  ['decline', 0.1],
  ['expire_pending', 0.2],
  ['expire_accepted', 0.15],
];

function pickPlan(r: number): LeadPlan {
  let acc = 0;
  for (const [plan, weight] of PLAN_WEIGHTS) {
    acc += weight;
    if (r < acc) return plan;
  }
  return 'convert';
}

const OPS_OF: Record<LeadPlan, Op[]> = {
  convert: ['accept', 'convert'],
  close: ['accept', 'close'],
  decline: ['decline'],
  expire_pending: [],
  expire_accepted: ['accept'],
};

/** Operations (HTTP calls that change something) a run of `leads` lifecycles makes: creates plus moves. */
export function plannedOps(leads: number, seed: number): number {
  const random = seededRandom(seed);
  let ops = 0;
  for (let i = 0; i < leads; i++) {
    ops += 1 + OPS_OF[pickPlan(random())].length;
    random();
  }
  return ops;
}

/**
 * Drives `leads` lifecycles through the API with bounded concurrency, as a
 * careful client would: every move carries an Idempotency-Key and is retried
 * with it after a 503, a 429 or a dropped connection; so is every create,
 * whose retries must find the lead an earlier attempt wrote, not write a
 * second one (the checks count the leads by their unique titles).
 */
export async function driveLeads(h: Harness, demo: DemoWorld, opts: DriveOptions) {
  const { sales, partnerA_user: partner } = demo.users;
  const random = seededRandom(opts.seed);
  const runs: LeadRun[] = [];
  for (let index = 0; index < opts.leads; index++) {
    const plan = pickPlan(random());
    const jitter = random();
    runs.push({ index, plan, title: `${opts.tag}-${index}-${plan}`, ops: [], createRetries: 0, jitter });
  }
  const stats: DriveStats = { requests: 0, retried: 0, byStatus: {}, hung: 0, maxResponseMs: 0, unexpected: [], retries: [] };
  const totalOps = runs.reduce((n, r) => n + 1 + OPS_OF[r.plan].length, 0);
  let done = 0;
  const progressed = () => {
    done++;
    opts.onProgress?.(done, totalOps);
  };
  const clientTimeoutMs = opts.clientTimeoutMs ?? 60_000;

  async function send(method: string, urlPath: string, user: TestUser, body: unknown, key?: string) {
    stats.requests++;
    const started = Date.now();
    let status = 0;
    try {
      const res = await fetch(`${opts.apiUrl?.() ?? h.apiUrl}${urlPath}`, {
        method,
        headers: { ...user.headers, ...(key ? { 'idempotency-key': key } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(clientTimeoutMs),
      });
      const text = await res.text();
      const parsed: any = text ? JSON.parse(text) : undefined;
      status = res.status;
      stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      if (res.status >= 500 && res.status !== 503) stats.unexpected.push({ path: urlPath, status: res.status, body: parsed });
      if ((res.status === 503 || res.status === 429) && stats.retries.length < 20) {
        stats.retries.push({ path: urlPath, status: res.status, code: parsed?.error?.code, message: parsed?.error?.message, ms: Date.now() - started });
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError') stats.hung++;
      if (stats.retries.length < 20) stats.retries.push({ path: urlPath, status: 0, code: name, message: String(err), ms: Date.now() - started });
      stats.byStatus.network = (stats.byStatus.network ?? 0) + 1;
      return { status: 0, body: { error: { code: name, message: String(err) } } };
    } finally {
      stats.maxResponseMs = Math.max(stats.maxResponseMs, Date.now() - started);
      opts.onResponse?.({ method, path: urlPath, status, sentAt: started, ms: Date.now() - started });
    }
  }

  /** Come back later: a dropped connection, 503, 429, or 409 while the same key's first request still runs. */
  const retryable = (status: number, code?: string) => status === 0 || status === 503 || status === 429 || (status === 409 && code === 'idempotency_in_progress');
  const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
  /** How long a client keeps retrying one operation before the run is declared broken. */
  const GIVE_UP_MS = 10 * 60_000;

  async function create(run: LeadRun): Promise<void> {
    const fields: Record<string, unknown> = { title: run.title, amount: 1_000 + run.index, contactName: 'Fault Test' };
    // Expiring leads get a deadline a few seconds ahead (pending) or the 3-second conversion window (accepted).
    if (run.plan === 'expire_pending') fields.expiresAt = new Date(Date.now() + 2_000 + Math.floor(run.jitter * 3_000)).toISOString();
    if (run.plan === 'expire_accepted') fields.fast = true;
    // One key for every attempt: whatever an earlier attempt wrote, the retry answers it instead of writing a second lead.
    const key = `${run.title}-create`;
    const firstTry = Date.now();
    for (let attempt = 0; ; attempt++) {
      const res = await send('POST', '/v1/records/lead', sales, { fields, partnerCompanyId: demo.companies.partnerA }, key);
      if (res.status === 201) {
        run.id = res.body.id;
        run.instanceId = startedInstanceId(res.body);
        break;
      }
      if (!retryable(res.status, res.body?.error?.code)) throw new Error(`creating lead ${run.title}: ${res.status} ${JSON.stringify(res.body)}`);
      stats.retried++;
      run.createRetries++;
      if (Date.now() - firstTry > GIVE_UP_MS) throw new Error(`creating lead ${run.title}: gave up after ${attempt + 1} attempts`);
      await backoff(attempt);
    }
    // A create that went through after an error: the instance enters Pending on its own, a moment later.
    await eventually(async () => {
      run.instanceId ??= (await h.stores.instances.forRecord(run.id!).catch(() => []))[0]?.instanceId;
      return run.instanceId !== undefined && (await h.db.collection(COLLECTIONS.instances).findOne({ _id: run.instanceId as never })) !== null;
    }, GIVE_UP_MS);
    progressed();
  }

  async function act(run: LeadRun, op: Op): Promise<void> {
    const user = partner;
    const body = op === 'convert' ? { opportunity: { fields: { amount: 500 + run.index } } } : op === 'accept' ? {} : { reason: `fault test ${op}` };
    const key = `${run.title}-${op}`;
    const firstTry = Date.now();
    let retried = false;
    for (let attempt = 0; ; attempt++) {
      const res = await send('POST', `/v1/leads/${run.id}/${op}`, user, body, key);
      if (res.status === 200) {
        run.ops.push({ op, outcome: 'applied', status: 200 });
        break;
      }
      if ((res.status === 409 || res.status === 422) && !retryable(res.status, res.body?.error?.code)) {
        // Refused. After an earlier attempt that may have gone through, the refusal may be the echo of it.
        run.ops.push({ op, outcome: retried ? 'ambiguous' : 'refused', status: res.status, code: res.body?.error?.code });
        break;
      }
      if (!retryable(res.status, res.body?.error?.code)) {
        run.ops.push({ op, outcome: 'refused', status: res.status, code: res.body?.error?.code });
        break;
      }
      stats.retried++;
      retried = true;
      if (Date.now() - firstTry > GIVE_UP_MS) throw new Error(`${op} of ${run.title}: gave up after ${attempt + 1} attempts`);
      await backoff(attempt);
    }
    progressed();
  }

  async function lifecycle(run: LeadRun): Promise<void> {
    await create(run);
    for (const op of OPS_OF[run.plan]) {
      await act(run, op);
      if (run.ops.at(-1)?.outcome === 'refused') break;
    }
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency, runs.length) }, async () => {
      while (next < runs.length) await lifecycle(runs[next++]!);
    }),
  );
  return { runs, stats, totalOps };
}

type Step = [kind: string, from: string | null, to: string];

/** The audit trail a lead's applied operations imply, step by step. */
function expectedSteps(run: LeadRun, applied: (op: Op) => boolean): Step[] {
  const steps: Step[] = [['started', null, LEAD_STAGES.pending]];
  const accepted = applied('accept');
  if (accepted) steps.push(['moved', LEAD_STAGES.pending, LEAD_STAGES.accepted]);
  switch (run.plan) {
    case 'convert':
      if (accepted && applied('convert')) steps.push(['moved', LEAD_STAGES.accepted, LEAD_STAGES.converted]);
      break;
    case 'close':
      if (accepted && applied('close')) steps.push(['moved', LEAD_STAGES.accepted, LEAD_STAGES.notConverted]);
      break;
    case 'decline':
      if (applied('decline')) steps.push(['moved', LEAD_STAGES.pending, LEAD_STAGES.declined]);
      break;
    case 'expire_pending':
      steps.push(['deadline_fired', LEAD_STAGES.pending, LEAD_STAGES.expired]);
      break;
    case 'expire_accepted':
      steps.push(['deadline_fired', accepted ? LEAD_STAGES.accepted : LEAD_STAGES.pending, LEAD_STAGES.expired]);
      break;
  }
  return steps;
}

const stepKey = (s: Step) => `${s[0]}:${s[1] ?? ''}>${s[2]}`;

export interface CheckFigures {
  leads: number;
  leadRecords: number;
  transitionsChecked: number;
  duplicatesFound: number;
  lost: number;
  deadlinesExpected: number;
  deadlinesFired: number;
  opportunities: number;
  duplicateOpportunities: number;
  ambiguousOps: number;
  refusedOps: number;
  problems: string[];
}

/**
 * Waits until every lead's instance has settled where its operations say (the
 * deadlines may still be firing), then checks the database against them: the
 * stage, every step exactly once in the audit trail and once on the record
 * (its version), one opportunity per converted lead and none for the others.
 */
export async function checkLeads(h: Harness, runs: LeadRun[], opts: { tag: string; settleTimeoutMs: number }): Promise<CheckFigures> {
  const db = h.db;
  const expectedFor = (run: LeadRun): Step[][] => {
    // An ambiguous operation may or may not have been applied: both histories are acceptable, nothing else.
    const ambiguous = run.ops.filter((o) => o.outcome === 'ambiguous').map((o) => o.op);
    const variants: Step[][] = [];
    for (let mask = 0; mask < 2 ** ambiguous.length; mask++) {
      variants.push(
        expectedSteps(run, (op) => {
          const at = ambiguous.indexOf(op);
          if (at >= 0) return (mask & (1 << at)) !== 0;
          return run.ops.some((o) => o.op === op && o.outcome === 'applied');
        }),
      );
    }
    return variants;
  };
  const finalStages = new Map(runs.map((run) => [run.instanceId!, new Set(expectedFor(run).map((v) => v.at(-1)![2]))]));

  // Deadlines fire on their own: wait until every instance stands in a stage its operations allow.
  await eventually(async () => {
    const docs = await db.collection(COLLECTIONS.instances).find({}, { projection: { stage: 1 } }).toArray();
    const stageOf = new Map(docs.map((d) => [String(d._id), String(d.stage)]));
    return runs.every((run) => finalStages.get(run.instanceId!)!.has(stageOf.get(run.instanceId!) ?? ''));
  }, opts.settleTimeoutMs).catch(() => undefined); // the checks below say what is missing

  const [records, events, instances] = await Promise.all([
    db.collection(COLLECTIONS.records).find({}).toArray(),
    db.collection(COLLECTIONS.events).find({}).toArray(),
    db.collection(COLLECTIONS.instances).find({}).toArray(),
  ]);
  const recordById = new Map(records.map((r) => [String(r._id), r]));
  const instanceById = new Map(instances.map((i) => [String(i._id), i]));
  const eventsByRecord = new Map<string, AuditEvent[]>();
  for (const { _id, ...rest } of events) {
    const event = { eventId: String(_id), ...rest } as AuditEvent;
    eventsByRecord.set(event.recordId, [...(eventsByRecord.get(event.recordId) ?? []), event]);
  }
  for (const list of eventsByRecord.values()) list.sort((a, b) => a.at.localeCompare(b.at) || a.eventId.localeCompare(b.eventId));
  const opportunitiesBySource = new Map<string, string[]>();
  for (const r of records) {
    const source = r.type === 'opportunity' ? (r.fields?.sourceLeadId as string | undefined) : undefined;
    if (source) opportunitiesBySource.set(source, [...(opportunitiesBySource.get(source) ?? []), String(r._id)]);
  }

  const figures: CheckFigures = {
    leads: runs.length,
    leadRecords: records.filter((r) => r.type === 'lead' && String(r.fields?.title ?? '').startsWith(`${opts.tag}-`)).length,
    transitionsChecked: 0,
    duplicatesFound: 0,
    lost: 0,
    deadlinesExpected: 0,
    deadlinesFired: 0,
    opportunities: 0,
    duplicateOpportunities: 0,
    ambiguousOps: runs.reduce((n, r) => n + r.ops.filter((o) => o.outcome === 'ambiguous').length, 0),
    refusedOps: runs.reduce((n, r) => n + r.ops.filter((o) => o.outcome === 'refused').length, 0),
    problems: [],
  };
  const problem = (run: LeadRun, what: string) => figures.problems.push(`lead ${run.index} (${run.plan}, ${run.id}): ${what}`);

  const titles = new Map<string, number>();
  for (const r of records) {
    if (r.type === 'lead') titles.set(String(r.fields?.title), (titles.get(String(r.fields?.title)) ?? 0) + 1);
  }

  for (const run of runs) {
    if ((titles.get(run.title) ?? 0) > 1) {
      figures.duplicatesFound += titles.get(run.title)! - 1;
      problem(run, `${titles.get(run.title)} lead records with this title (a create applied twice)`);
    }
    const record = recordById.get(run.id!);
    const trail = eventsByRecord.get(run.id!) ?? [];
    const actual: Step[] = trail.map((e) => [e.kind, e.from ?? null, e.to ?? '']);
    const variants = expectedFor(run);
    const expected = variants.find((v) => v.length === actual.length && v.every((s, i) => stepKey(s) === stepKey(actual[i]!))) ?? variants[0]!;
    figures.transitionsChecked += expected.length;

    // Each step exactly once: a step seen twice is doubled, a step missing is lost.
    const seen = new Map<string, number>();
    for (const s of actual) seen.set(stepKey(s), (seen.get(stepKey(s)) ?? 0) + 1);
    for (const [key, count] of seen) {
      if (count > 1) {
        figures.duplicatesFound += count - 1;
        problem(run, `step ${key} appears ${count} times in the audit trail`);
      }
    }
    const missing = expected.filter((s) => !seen.has(stepKey(s)));
    figures.lost += missing.length;
    if (missing.length) problem(run, `steps missing from the audit trail: ${missing.map(stepKey).join(', ')}`);
    const extra = actual.filter((s) => !expected.some((e) => stepKey(e) === stepKey(s)));
    if (extra.length) problem(run, `steps its operations do not imply: ${extra.map(stepKey).join(', ')}`);
    if (missing.length === 0 && extra.length === 0 && expected.some((s, i) => stepKey(s) !== stepKey(actual[i] ?? ['', null, '']))) {
      problem(run, `audit trail out of order: ${actual.map(stepKey).join(', ')}`);
    }

    const finalStage = expected.at(-1)![2];
    if (!record) {
      figures.lost++;
      problem(run, 'no lead record');
      continue;
    }
    // Once on the record: one version per step, and the last step's id is the last one applied.
    const stageField = run.plan === 'expire_accepted' ? FAST_FIELD : 'status';
    if (record.fields?.[stageField] !== finalStage) problem(run, `record stage ${String(record.fields?.[stageField])}, expected ${finalStage}`);
    if (record.version !== trail.length + 1) {
      problem(run, `record version ${record.version} after ${trail.length} steps (expected ${trail.length + 1})`);
      if (record.version > trail.length + 1) figures.duplicatesFound++;
      else figures.lost++;
    }
    if (trail.length && record.lastEventId !== trail.at(-1)!.eventId) problem(run, `record's last event ${record.lastEventId}, audit trail ends with ${trail.at(-1)!.eventId}`);
    const projection = instanceById.get(run.instanceId!);
    if (projection?.stage !== finalStage) problem(run, `instance projection in ${String(projection?.stage)}, expected ${finalStage}`);

    if (run.plan === 'expire_pending' || run.plan === 'expire_accepted') {
      figures.deadlinesExpected++;
      if (trail.some((e) => e.kind === 'deadline_fired' && e.to === LEAD_STAGES.expired)) figures.deadlinesFired++;
      else problem(run, 'its deadline did not fire');
      if (!record.fields?.expiredAt) problem(run, 'expired without expiredAt');
    }

    const opportunities = opportunitiesBySource.get(run.id!) ?? [];
    figures.opportunities += Math.min(opportunities.length, 1);
    if (finalStage === LEAD_STAGES.converted) {
      if (opportunities.length !== 1) problem(run, `${opportunities.length} opportunities from this lead, expected 1`);
      if (opportunities.length > 1) figures.duplicateOpportunities += opportunities.length - 1;
      if (opportunities.length === 0) figures.lost++;
      if (opportunities.length >= 1 && record.fields?.opportunityId !== opportunities[0]) {
        problem(run, `lead links opportunity ${String(record.fields?.opportunityId)}, created ${opportunities.join(', ')}`);
      }
    } else if (opportunities.length > 0) {
      figures.duplicateOpportunities += opportunities.length;
      problem(run, `${opportunities.length} opportunities from a lead that was not converted`);
    }
  }
  if (figures.leadRecords !== runs.length) figures.problems.push(`${figures.leadRecords} lead records for ${runs.length} lifecycles`);
  return figures;
}

/** Prints a suite's figures at the end of its run and keeps them in test-output/faults/<name>.json. */
export function report(name: string, figures: Record<string, unknown>): void {
  const lines = Object.entries(figures)
    .filter(([, v]) => !Array.isArray(v) || v.length > 0)
    .map(([k, v]) => `  ${k.padEnd(26)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  process.stderr.write(`\n[fault suite: ${name}]\n${lines.join('\n')}\n`);
  const dir = path.resolve(__dirname, '..', '..', '..', 'test-output', 'faults');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2));
}

type Drive = Awaited<ReturnType<typeof driveLeads>>;

/** The API's logged errors, a line each (route, error, where it was thrown): why a request answered 500. */
export function serverErrors(h: Harness): string[] {
  return h.apiErrors().map((line) => {
    try {
      const entry = JSON.parse(line) as { method?: string; path?: string; msg?: string; err?: { type?: string; message?: string; stack?: string } };
      const where = (entry.err?.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()).join(' < ');
      return `${entry.method ?? ''} ${entry.path ?? ''}: ${entry.msg ?? ''}: ${entry.err?.type ?? ''} ${entry.err?.message ?? ''} ${where}`;
    } catch {
      return line.slice(0, 500);
    }
  });
}

/** The figures every lead-lifecycle suite reports after its own: what the client saw, then what the checks found. */
export function leadRunFigures(drive: Drive, check: CheckFigures): Record<string, unknown> {
  return {
    operations: drive.totalOps,
    requests: drive.stats.requests,
    retriedAfter503: drive.stats.retried,
    responses: drive.stats.byStatus,
    maxResponseMs: drive.stats.maxResponseMs,
    hung: drive.stats.hung,
    retriedAnswers: drive.stats.retries,
    transitionsChecked: check.transitionsChecked,
    duplicatesFound: check.duplicatesFound,
    lost: check.lost,
    deadlines: `${check.deadlinesFired}/${check.deadlinesExpected}`,
    opportunities: check.opportunities,
    duplicateOpportunities: check.duplicateOpportunities,
    ambiguousOps: check.ambiguousOps,
    refusedOps: check.refusedOps,
  };
}

/**
 * What every lead-lifecycle suite asserts, whatever its fault: no answer but
 * 503 among the 5xx, no request hung, every lead where its operations say with
 * each step once, every deadline fired, no lead or opportunity too many.
 */
export function expectEveryLeadSound(drive: Drive, check: CheckFigures, leads: number): void {
  expect(drive.stats.unexpected).toEqual([]);
  expect(drive.stats.hung).toBe(0);
  expect(check.problems).toEqual([]);
  expect(check).toMatchObject({ duplicatesFound: 0, lost: 0, duplicateOpportunities: 0, refusedOps: 0 });
  expect(check.deadlinesFired).toBe(check.deadlinesExpected);
  expect(check.leadRecords).toBe(leads);
}
