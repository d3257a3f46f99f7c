import type { Scenario, ScenarioContext, ScenarioResult } from '../scenario';
import { analytics } from './analytics';
import { nowMs } from '../stats';
import { ferretdbBackend } from './ferretdb-backend';
import { lifecycle } from './lifecycle';
import { longInstance } from './long-instance';
import { memory } from './memory';
import { moveLatency } from './move-latency';
import { timerStorm } from './timer-storm';

/** Every scenario, in the order `npm run bench` runs them. */
export const SCENARIOS: Scenario[] = [lifecycle, moveLatency, timerStorm, longInstance, memory, ferretdbBackend, analytics];

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}

/** Runs one scenario and times it; a failure propagates (the CLI records it, the smoke test fails). */
export async function runScenario(scenario: Scenario, ctx: ScenarioContext): Promise<ScenarioResult> {
  const start = nowMs();
  ctx.say(`${scenario.name}: N = ${ctx.n}`);
  const result = await scenario.run(ctx);
  return { scenario: scenario.name, ...result, elapsedS: (nowMs() - start) / 1000 };
}
