import type { Actor, RecordView } from './domain/types';
import type { PipelineInstanceInput } from './messages';
import { refOf } from './pipeline-ref';
import type { TriggerAction } from './trigger-types';

/**
 * The input of an instance a trigger planned, by whichever starts it (the
 * trigger workflow, or the activity of a step that created the record): its
 * version by reference, entering its first stage at `entersAt`, so that the
 * starter sets the search attributes of that first state.
 */
export function plannedStartInput(
  action: Extract<TriggerAction, { action: 'start' }>,
  record: RecordView,
  actor: Actor,
  entersAt: string,
  writesRecord = false,
): PipelineInstanceInput {
  return {
    instanceId: action.instanceId,
    pipeline: refOf(record.companyId, action.definition),
    record,
    startedBy: actor,
    entersAt,
    ...(writesRecord ? { writesRecord: true } : {}),
  };
}
