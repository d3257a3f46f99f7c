import { renderMarkdown, type BenchResult } from '../../scripts/bench/report';
import type { ScenarioResult } from '../../scripts/bench/scenario';
import { runScenario, SCENARIOS } from '../../scripts/bench/scenarios';
import { DEFAULT_POSTGRESQL_URL, preparePostgres } from '../../scripts/bench/scenarios/postgres';
import { existingStack, type BenchStack } from '../../scripts/bench/stack';
import { testStack } from '../support/stack';

// jest reads testTimeout only from the root config; a scenario on a busy machine can take a while even when tiny.
jest.setTimeout(180_000);

/**
 * `npm run bench` in miniature: every scenario with a tiny N against this run's
 * own servers. It asserts only that each completes and reports finite figures,
 * never anything about speed.
 */
describe('npm run bench, tiny', () => {
  let stack: BenchStack;
  const results: ScenarioResult[] = [];
  const say = () => undefined;

  beforeAll(async () => {
    const s = testStack();
    stack = await existingStack({
      dir: s.dir,
      temporalAddress: s.temporalAddress,
      mongoUri: s.mongoUri,
      workflowBundlePath: s.workflowBundlePath,
      ferretdbBinary: s.ferretdbBinary,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const finite = (value: unknown) => typeof value !== 'number' || Number.isFinite(value);

  for (const scenario of SCENARIOS) {
    it(`When the ${scenario.name} scenario runs with N = ${scenario.smokeN}, then it completes and reports finite figures`, async () => {
      const result = await runScenario(scenario, { stack, n: scenario.smokeN, say });
      results.push(result);
      expect(result).toMatchObject({ scenario: scenario.name, n: scenario.smokeN });
      expect(result.error).toBeUndefined();

      if (scenario.name === 'ferretdb-backend' && !preparePostgres(stack.postgresqlUrl ?? DEFAULT_POSTGRESQL_URL).ok) {
        // The only scenario that may not run: the machine has no reachable PostgreSQL.
        expect(result.skipped).toMatch(/unreachable|could not create/);
        return;
      }
      expect(result.skipped).toBeUndefined();
      expect(result.rows.length).toBeGreaterThan(0);
      for (const row of result.rows) {
        // A row judged by a bound on Propeller's own figure may have a baseline of 0 (bare Temporal sends no MongoDB command), so no ratio.
        const figures = row.bound && row.baseline === 0 ? [row.propeller, row.baseline] : [row.propeller, row.baseline, row.ratio];
        expect({ metric: row.metric, finite: figures.every(Number.isFinite) }).toEqual({ metric: row.metric, finite: true });
        expect(row.n).toBe(scenario.smokeN);
      }
      for (const [fact, value] of Object.entries(result.facts)) expect({ fact, finite: finite(value) }).toEqual({ fact, finite: true });
      if (scenario.name === 'long-instance') {
        expect(result.facts).toMatchObject({ 'failed moves': 0, 'audit trail complete (started + N moves, in order)': true });
      }
    });
  }

  it('When the results are rendered, then the Markdown table has a row for every scenario', () => {
    const result: BenchResult = {
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      elapsedS: 1,
      command: 'npm run bench',
      machine: { cpu: 'test', cores: 1, memoryGB: 1, os: 'test', loadAverageAtStart: '0' },
      versions: stack.versions,
      scenarios: results,
    };
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('| scenario | metric | N | Propeller | baseline | ratio | target | |');
    for (const scenario of SCENARIOS) expect(markdown).toMatch(new RegExp(`^\\| ${scenario.name} \\|`, 'm'));
    expect(results.map((r) => r.scenario)).toEqual(SCENARIOS.map((s) => s.name));
  });
});
