import { startBaseline } from '../baseline';
import { inTurns, progress, roundLabel, runPool, type Say } from '../load';
import { startPropeller } from '../propeller';
import { row, warmupCount, type Row, type Scenario } from '../scenario';
import { round, summarize, timed, type LatencySummary } from '../stats';
import { bareStep, movePingPong, pingPongPipeline, startLoops, startPingPongs } from './pingpong';

export const MOVE_CONCURRENCY = 16;

/**
 * `n` timed calls spread over `lanes` targets, each lane calling its own
 * target one call at a time (concurrent updates to one workflow would queue
 * behind each other); answers the latencies.
 */
async function measure(n: number, targets: string[], call: (target: string) => Promise<unknown>, say: Say, label: string): Promise<number[]> {
  const latencies: number[] = [];
  const p = progress(say, label, n);
  const perLane = Math.ceil(n / targets.length);
  await runPool(targets.length, targets.length, async (lane) => {
    for (let i = 0; i < perLane && lane * perLane + i < n; i++) {
      latencies.push((await timed(() => call(targets[lane]!))).ms);
      p.tick();
    }
  });
  p.finish();
  return latencies;
}

/** At most 4 rounds, each with at least 4 moves per lane. */
export function moveRounds(n: number, lanes: number): number {
  return Math.max(1, Math.min(4, Math.floor(n / (4 * lanes))));
}

/** Both sides' n calls in turns (`inTurns`); answers each side's pooled latencies. */
export async function alternate(n: number, rounds: number, sides: Array<(count: number, round: number) => Promise<number[]>>): Promise<LatencySummary[]> {
  return (await inTurns(n, rounds, sides)).map((batches) => summarize(batches.flat()));
}

/** Sequential moves: p50 within 1.5× and p99 within 2× of bare; concurrent ones within 1.2× for both. */
function latencyRows(mode: string, n: number, p: LatencySummary, b: LatencySummary, targets: [p50: number, p99: number]): Row[] {
  return [
    row(`move p50, ${mode}`, 'ms', n, p.p50, b.p50, { target: { op: '<=', value: targets[0] } }),
    row(`move p99, ${mode}`, 'ms', n, p.p99, b.p99, { target: { op: '<=', value: targets[1] } }),
  ];
}

export const moveLatency: Scenario = {
  name: 'move-latency',
  description: 'stage move latency over HTTP (p50, p99), sequential and at concurrency 16, vs a bare update round trip with a no-op activity',
  // 16 lanes: at 100 moves each lane times 6, and the concurrent p50 swung 1.6x-2.1x between runs; 400 holds it steady.
  defaultN: 400,
  fullN: 1_000,
  smokeN: 4,
  async run({ stack, n, say }) {
    const c = MOVE_CONCURRENCY;
    // One instance per lane; with fewer moves than lanes, the idle lanes need none.
    const lanes = Math.min(c, n);
    const warm = warmupCount(n);
    const rounds = moveRounds(n, lanes);
    const env = await startPropeller(stack, { name: 'moves', pipelines: [pingPongPipeline()] });
    let p: { seq: LatencySummary; conc: LatencySummary };
    let b: { seq: LatencySummary; conc: LatencySummary };
    let indexed: LatencySummary;
    let mongoPerMove: string;
    let commandsPerMove: number;
    try {
      const baseline = await startBaseline(stack, { name: 'moves' });
      try {
        say('move-latency: starting Propeller instances...');
        const ids = await startPingPongs(env, lanes);
        // Each instance moves to the stage it is not in.
        const stages = new Map(ids.map((id) => [id, 'ping']));
        const move = async (id: string) => {
          const to = stages.get(id) === 'ping' ? 'pong' : 'ping';
          const moved = await movePingPong(env, id, to);
          if (moved.stage.key !== to) throw new Error(`${id} moved to ${moved.stage.key}, not ${to}`);
          stages.set(id, to);
        };
        const step = (id: string) => bareStep(baseline, id);
        const loops = await startLoops(baseline, lanes);
        const indexedLoops = await startLoops(baseline, lanes, { indexed: true });
        await measure(warm * 2, [ids[0]!], move, say, 'move-latency · Propeller warm-up');
        await measure(warm * 2, [loops[0]!], step, say, 'move-latency · baseline warm-up');
        await measure(warm * 2, [indexedLoops[0]!], step, say, 'move-latency · indexed baseline warm-up');
        const label = (side: string, mode: string, r: number) => roundLabel(`move-latency · ${side} ${mode}`, r, rounds);
        const [pSeq, bSeq] = await alternate(n, rounds, [
          (count, r) => measure(count, [ids[0]!], move, say, label('Propeller', 'sequential', r)),
          (count, r) => measure(count, [loops[0]!], step, say, label('baseline', 'sequential', r)),
        ]);
        env.mongoCommands.reset();
        const [pConc, bConc, iConc] = await alternate(n, rounds, [
          (count, r) => measure(count, ids, move, say, label('Propeller', `c=${c}`, r)),
          (count, r) => measure(count, loops, step, say, label('baseline', `c=${c}`, r)),
          (count, r) => measure(count, indexedLoops, step, say, label('baseline with a Stage upsert', `c=${c}`, r)),
        ]);
        mongoPerMove = env.mongoCommands.describe(n);
        commandsPerMove = env.mongoCommands.per(n).total;
        p = { seq: pSeq!, conc: pConc! };
        b = { seq: bSeq!, conc: bConc! };
        indexed = iConc!;
      } finally {
        await baseline.stop();
      }
    } finally {
      await env.stop();
    }
    return {
      n,
      settings: { concurrency: c, warmup: warm * 2, rounds },
      rows: [
        ...latencyRows('sequential', n, p.seq, b.seq, [1.25, 1.5]),
        ...latencyRows(`concurrency ${c}`, n, p.conc, b.conc, [1.35, 1.35]),
        row(`move p50, concurrency ${c}, vs bare with a Stage upsert per move`, 'ms', n, p.conc.p50, indexed.p50, { target: { op: '<=', value: 1.1 } }),
        row(`move p99, concurrency ${c}, vs bare with a Stage upsert per move`, 'ms', n, p.conc.p99, indexed.p99, { target: { op: '<=', value: 1.1 } }),
        row(`MongoDB commands per move, concurrency ${c}`, 'commands', n, commandsPerMove, 0, { bound: { op: '<=', value: 3 } }),
      ],
      facts: {
        'Propeller sequential mean ms': round(p.seq.mean),
        'baseline sequential mean ms': round(b.seq.mean),
        'Propeller c=16 max ms': round(p.conc.max),
        'baseline c=16 max ms': round(b.conc.max),
        'baseline with a Stage upsert per move, c=16 p50 / p99 ms (÷ bare)': `${round(indexed.p50)} / ${round(indexed.p99)} (${round(indexed.p50 / b.conc.p50)}× / ${round(indexed.p99 / b.conc.p99)}×)`,
        'Propeller MongoDB commands per move at c=16 (mean round trip)': mongoPerMove,
      },
      notes: [
        'A move is POST /v1/instances/:id/moves on a two-stage reversible pipeline; the baseline is executeUpdate on a workflow that runs a no-op activity per update. ' +
          'At c=16 a third side runs the same baseline with a Stage search attribute upsert per update, as every Propeller move ' +
          'makes (the Web UI searches by Stage): its ratio to bare is what keeping that attribute costs Temporal alone. ' +
          `The sides run in turn, in ${rounds} round(s) per mode, the side that goes first rotating.`,
      ],
    };
  },
};
