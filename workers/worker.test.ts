import { WORKFLOW_BUNDLER_OPTIONS, WORKFLOWS_PATH } from './bundle';
import { workflowCode } from './worker';

describe('the workflow code a worker runs', () => {
  it('When no bundle is given, then the worker bundles workflows/ with the shared options, the domain rules preloaded', () => {
    expect(workflowCode(undefined)).toEqual({ workflowsPath: WORKFLOWS_PATH, bundlerOptions: WORKFLOW_BUNDLER_OPTIONS });
    expect(WORKFLOW_BUNDLER_OPTIONS.preloadModules).toEqual([require.resolve('../workflows/domain')]);
  });

  it('When a prebuilt bundle is given, then the worker runs it as built', () => {
    expect(workflowCode('/tmp/workflow-bundle.js')).toEqual({ workflowBundle: { codePath: '/tmp/workflow-bundle.js' } });
  });
});
