import fs from 'node:fs';

export const STACK_ENV = 'PROPELLER_TEST_STACK';

/** What the run's global setup started, read by every test file. */
export interface TestStack {
  dir: string;
  temporalAddress: string;
  temporalUiUrl: string;
  /** The dev server's Prometheus metrics. */
  temporalMetricsUrl: string;
  mongoUri: string;
  workflowBundlePath: string;
  temporalBinary: string;
  ferretdbBinary: string;
}

export function testStack(): TestStack {
  const file = process.env[STACK_ENV];
  if (!file) throw new Error(`${STACK_ENV} is not set: run integration tests through jest (npm test)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TestStack;
}
