import { COLLECTIONS } from '../../../activities/store';
import { startBaseline } from '../baseline';
import { countWorkflows, shortId } from '../env';
import { pollUntil, progress, runPool, sleep, type Say } from '../load';
import { startPropeller } from '../propeller';
import { row, type Scenario } from '../scenario';
import type { BenchStack } from '../stack';
import { rate } from '../stats';

const CONCURRENCY = 32;
/** Items created first, with a far deadline, to measure how fast creation goes here; they take no part in the storm. */
const probeSize = (n: number) => Math.min(CONCURRENCY, Math.max(2, Math.ceil(n / 10)));

/**
 * Creates `n` items whose deadline is the same instant T, and answers T. T is
 * chosen after a probe batch measured the creation rate: the time creating
 * the storm should take at that rate, × 2.5, + 3 s. Creation slows down as
 * open instances pile up, and a storm that fires while items are still being
 * created makes their creates wait behind it (at 5,000 leads one waited past
 * the API's 20 s with a 1.6× margin). `late` says creation ran past T anyway.
 */
async function prepareStorm(n: number, create: (i: number, at: number) => Promise<void>, say: Say, label: string) {
  const far = Date.now() + 3_600_000;
  const probe = await runPool(probeSize(n), probeSize(n), (i) => create(-1 - i, far));
  const perSecond = rate(probeSize(n), probe.elapsedMs);
  const at = Date.now() + Math.round((n / perSecond) * 2_500) + 3_000;
  say(`${label}: creating ${n} with the deadline ${new Date(at).toISOString()} (in ${Math.round((at - Date.now()) / 1000)} s)`);
  const p = progress(say, `${label} creation`, n);
  await runPool(n, CONCURRENCY, (i) => create(i, at), () => p.tick());
  p.finish();
  const late = Date.now() > at - 500;
  if (late) say(`${label}: creation ran past the storm instant; its figures are not comparable`);
  await sleep(Math.max(0, at - Date.now()));
  return { at, late };
}

interface BareStorm {
  doneMs: number;
  observedMs: number;
  late: boolean;
}

/** `n` bare timers firing at the same instant, on a task queue of their own: until the last workflow completed, by the close times Temporal recorded. */
async function bareStorm(stack: BenchStack, n: number, local: boolean, timeoutMs: number, say: Say, label: string): Promise<BareStorm> {
  const baseline = await startBaseline(stack, { name: local ? 'storm-local' : 'storm' });
  try {
    const run = shortId();
    const { at, late } = await prepareStorm(
      n,
      async (i, fireAt) =>
        void (await baseline.client.workflow.start('bareTimer', {
          workflowId: `bare-timer:${run}-${i}`,
          taskQueue: baseline.taskQueue,
          args: [{ at: fireAt, local }],
        })),
      say,
      label,
    );
    const completed = "ExecutionStatus='Completed'";
    await pollUntil(label, async () => (await countWorkflows(baseline.client, baseline.taskQueue, completed)) >= n, timeoutMs);
    const observedMs = Date.now() - at;
    let latestClose = 0;
    for await (const wf of baseline.client.workflow.list({ query: `TaskQueue='${baseline.taskQueue}' AND ${completed}` })) {
      latestClose = Math.max(latestClose, wf.closeTime?.getTime() ?? 0);
    }
    // Visibility (which the count reads) can lag the closes by seconds on a busy dev server: the close times are exact.
    const doneMs = latestClose - at;
    say(`${label}: all ${n} completed ${doneMs} ms after the instant`);
    return { doneMs, observedMs, late };
  } finally {
    await baseline.stop();
  }
}

export const timerStorm: Scenario = {
  name: 'timer-storm',
  description: 'N partner leads expiring at the same instant: time until all are Expired in MongoDB vs N bare timers firing and completing',
  defaultN: 150,
  fullN: 5_000,
  smokeN: 3,
  async run({ stack, n, say }) {
    const timeoutMs = Math.max(120_000, n * 100);
    const env = await startPropeller(stack, { name: 'storm' });
    let propeller: { doneMs: number; latenessMs: number; late: boolean };
    try {
      const { sales, partner } = env.users;
      const { at, late } = await prepareStorm(
        n,
        async (i, expiresAt) =>
          void (await env.call(sales, 'POST', '/v1/records/lead', {
            fields: { title: `Storm lead ${i}`, expiresAt: new Date(expiresAt).toISOString() },
            partnerCompanyId: partner.companyId,
          })),
        say,
        'timer-storm · Propeller',
      );
      const records = env.db.collection(COLLECTIONS.records);
      const expired = { type: 'lead', 'fields.status': 'expired' };
      await pollUntil('timer-storm · Propeller', async () => (await records.countDocuments(expired)) >= n, timeoutMs);
      const doneMs = Date.now() - at;
      const stamps = await records.find(expired, { projection: { 'fields.expiredAt': 1 } }).toArray();
      const latest = Math.max(...stamps.map((r) => Date.parse(String((r.fields as { expiredAt?: string } | undefined)?.expiredAt))));
      propeller = { doneMs, latenessMs: latest - at, late };
      say(`timer-storm · Propeller: all ${n} Expired in MongoDB ${doneMs} ms after the instant`);
    } finally {
      await env.stop();
    }

    const bare = await bareStorm(stack, n, false, timeoutMs, say, 'timer-storm · baseline');
    const same = await bareStorm(stack, n, true, timeoutMs, say, 'timer-storm · same-shape baseline');
    const notes = [
      "Propeller's figure is when a count of Expired leads in MongoDB (polled every 100 ms) first reached N; the baselines' is the latest close time Temporal recorded.",
      'The target compares with bare timers whose workflow runs a no-op activity task once its timer fires. Propeller writes the step a ' +
        'deadline fires with a local activity; the same-shape baseline does its no-op the same way, so the ratio to it is what HTTP, ' +
        'MongoDB and the rules cost.',
    ];
    const late = propeller.late || bare.late || same.late;
    if (late) notes.push('Creation ran past the storm instant: the figures include creation time and are not comparable.');
    return {
      n,
      settings: { 'creation concurrency': CONCURRENCY, 'probe items (not in the storm)': probeSize(n) },
      rows: [
        row(`storm: instant → all done${late ? ' (creation ran past the instant!)' : ''}`, 'ms', n, propeller.doneMs, bare.doneMs, {
          target: { op: '<=', value: 1.2 },
        }),
        row('storm vs same-shape bare timers (local no-op)', 'ms', n, propeller.doneMs, same.doneMs),
      ],
      facts: {
        "latest lead's lateness (expiredAt − instant), ms": propeller.latenessMs,
        'baseline: all counted completed in visibility, ms after the instant': bare.observedMs,
        'same-shape baseline: all counted completed in visibility, ms after the instant': same.observedMs,
      },
      notes,
    };
  },
};
