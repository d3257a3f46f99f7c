import { alternate, moveRounds } from './move-latency';

describe('move-latency bench rounds', () => {
  it('When there are enough moves, then four rounds with at least four moves per lane; otherwise fewer', () => {
    expect([moveRounds(4, 4), moveRounds(400, 16), moveRounds(1_000, 16), moveRounds(100, 16)]).toEqual([1, 4, 4, 1]);
  });

  it('When two sides alternate, then each makes n calls in all and the side going first alternates', async () => {
    const order: string[] = [];
    const side = (name: string, ms: number) => async (count: number) => {
      order.push(`${name}:${count}`);
      return Array<number>(count).fill(ms);
    };
    const [p, b] = await alternate(10, 3, [side('P', 2), side('B', 1)]);
    expect(order).toEqual(['P:3', 'B:3', 'B:3', 'P:3', 'P:4', 'B:4']);
    expect([p!.n, p!.p50, b!.n, b!.p50]).toEqual([10, 2, 10, 1]);
  });
});
