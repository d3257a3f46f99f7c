import { ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { TriggerAction } from './trigger-types';
import type { Actor, RecordView } from './domain/types';
import { instanceStartOptions } from './instance-summary';
import { PIPELINE_INSTANCE_WORKFLOW } from './messages';
import { plannedStartInput } from './planned-start';

/**
 * Starts the instance a trigger planned, as a child that outlives the workflow
 * starting it, with its pipeline version by reference. Throws WorkflowExecutionAlreadyStartedError when the id is taken
 * (a manual start, a retried trigger, another record of the same contact).
 */
export async function startInstance(action: Extract<TriggerAction, { action: 'start' }>, record: RecordView, actor: Actor): Promise<void> {
  // The workflow's clock, so the start options carry the first state's search attributes.
  const args = plannedStartInput(action, record, actor, new Date().toISOString());
  await startChild(PIPELINE_INSTANCE_WORKFLOW, {
    workflowId: action.instanceId,
    args: [args],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: action.allowReinitiation ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.REJECT_DUPLICATE,
    ...instanceStartOptions(action.definition, args),
  });
}
