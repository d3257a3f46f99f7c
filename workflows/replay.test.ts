import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS, WORKFLOWS_PATH } from '../workers/bundle';

/**
 * Instances outlive deployments: a worker running this code must carry on the
 * runs an earlier version started. Each file in `histories/` is a run recorded
 * by an earlier version (its README says which and how); replaying it through
 * today's workflows fails on any change that is not behind a patch.
 */
const HISTORIES = path.join(__dirname, 'histories');

// Bundling the workflows takes a few seconds.
jest.setTimeout(60_000);

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by another test in this process.
  }
});

const recorded = fs
  .readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();

it('has recorded runs to replay', () => {
  expect(recorded.length).toBeGreaterThan(0);
});

it('When runs recorded by earlier versions are replayed through the current workflows, then every one replays without a determinism error', async () => {
  const histories = recorded.map((file) => ({
    workflowId: path.basename(file, '.json'),
    // As `temporal workflow show -o json` wrote it: the worker converts it from JSON.
    history: JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')) as unknown,
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, bundlerOptions: WORKFLOW_BUNDLER_OPTIONS }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBe(recorded.length);
});
