import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Modules of the workflow bundle that a worker loads once and shares across
 * every cached workflow. With the reusable V8 context the SDK otherwise
 * instantiates each bundled module once per workflow. The pure rules of
 * `workflows/domain` hold no per-workflow state (no module-level variable
 * that a run writes), so one frozen copy serves them all. The SDK's own
 * modules and the workflow files that call its APIs are not shared: they keep
 * per-workflow state.
 */
export const PRELOADED_WORKFLOW_MODULES = [require.resolve('../workflows/domain')];

/** How every worker, test stack and bench bundles `workflows/`: one place, so all of them run the same code. */
export const WORKFLOW_BUNDLER_OPTIONS = { preloadModules: PRELOADED_WORKFLOW_MODULES } satisfies Partial<BundleOptions>;

/** The workflow bundle's code, for a worker given `workflowBundle: { codePath }`. */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...WORKFLOW_BUNDLER_OPTIONS, logger: new DefaultLogger('WARN') });
  return code;
}
