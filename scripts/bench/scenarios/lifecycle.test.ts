import type { Client } from '@temporalio/client';
import { mergeRuns, type LifecycleRun } from './drivers';
import { interleaved, roundsFor } from './lifecycle';

function run(n: number, elapsedMs: number, samples: [number[], number[], number[]], failures = 0): LifecycleRun {
  return { n, perSecond: 0, failures, elapsedMs, steps: [] as unknown as LifecycleRun['steps'], samples, firstFailure: failures ? `failed ${n}` : undefined };
}

describe('lifecycle bench rounds', () => {
  it('When N is a few pools of 32, then it runs in rounds of about 64; a small N in one', () => {
    expect([3, 60, 128, 500].map(roundsFor)).toEqual([1, 1, 2, 8]);
  });

  it('When batches of one side are merged, then lifecycles, failures and time add up and the latencies are pooled', () => {
    const merged = mergeRuns([run(2, 1_000, [[10, 30], [5, 5], [1, 1]]), run(2, 3_000, [[20, 40], [5, 5], [1, 1]], 1)]);
    expect(merged).toMatchObject({ n: 4, failures: 1, elapsedMs: 4_000, perSecond: 0.75, firstFailure: 'failed 2' });
    expect(merged.samples[0]).toEqual([10, 30, 20, 40]);
    expect(merged.steps[0]).toMatchObject({ n: 4, p50: 25, max: 40 });
  });

  it('When three sides are interleaved over three rounds, then each runs N in all and each round starts with the next side', async () => {
    const order: string[] = [];
    const side = (name: string) => ({
      name,
      client: {} as Client,
      taskQueue: name,
      batch: async (count: number) => {
        order.push(`${name}:${count}`);
        return run(count, count * 100, [Array(count).fill(1), Array(count).fill(2), Array(count).fill(3)]);
      },
    });
    const measured = await interleaved([side('P'), side('B'), side('S')], 10, 3, {});
    expect(order).toEqual(['P:3', 'B:3', 'S:3', 'B:3', 'S:3', 'P:3', 'S:4', 'P:4', 'B:4']);
    expect([...measured.values()].map((m) => [m.run.n, m.run.perSecond])).toEqual([[10, 10], [10, 10], [10, 10]]);
  });
});
