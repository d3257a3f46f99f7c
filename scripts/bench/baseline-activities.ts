import type { BaselineActivities } from './baseline-workflows';

/** Activities of the baseline: they do nothing, where Propeller's write to MongoDB. */
export const baselineActivities: BaselineActivities = {
  async noop() {},
};
