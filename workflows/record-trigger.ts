import { getExternalWorkflowHandle, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PipelineActivities } from './activity-contract';
import type { Actor, RecordView } from './domain/types';
import { recordChangedSignal } from './messages';
import { startInstance } from './start-instance';
import type { StoredRecordInput, TriggerAction, TriggerOutcome } from './trigger-types';

const { createRecord, planRecordTriggers, recordIgnoredTrigger } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

export interface RecordTriggerInput {
  kind: 'created' | 'updated';
  /** For `created`: the record to write (idempotently: its id is fixed by the caller). */
  record?: StoredRecordInput;
  recordId: string;
  actor: Actor;
}

/**
 * A durable trigger: writes a new record (idempotently) and then starts, or
 * hands the new values to, the instances of every matching pipeline. Because
 * the write and the starts are one workflow, a process that dies in between
 * loses nothing: Temporal runs the rest on another worker.
 */
export async function recordTrigger(input: RecordTriggerInput): Promise<TriggerOutcome[]> {
  if (input.kind === 'created' && input.record) await createRecord(input.record);
  const planned = await planRecordTriggers({ recordId: input.recordId, actor: input.actor });
  let record = planned.record;
  const outcomes: TriggerOutcome[] = [];
  for (const first of planned.actions) {
    let action = first;
    if (action.action === 'start') {
      try {
        await startInstance(action, record, input.actor);
        outcomes.push({ instanceId: action.instanceId, outcome: 'started' });
        continue;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      // Started meanwhile: by a manual start, a retried trigger, or, when multiple runs are off, the trigger
      // of another record of the same contact. Only its first step says which record it is bound to.
      const settled = await planOnceStarted(input, action.definition.key);
      if (!settled) continue;
      ({ record } = settled);
      action = settled.action;
    }
    if (action.action === 'ignored') {
      await recordIgnoredTrigger({
        eventId: `${workflowInfo().workflowId}:${action.pipelineKey}`,
        instanceId: action.instanceId,
        recordId: record.id,
        pipelineKey: action.pipelineKey,
        reason: action.reason,
        actor: input.actor,
      });
      outcomes.push({ instanceId: action.instanceId, outcome: 'ignored' });
      continue;
    }
    try {
      await getExternalWorkflowHandle(action.instanceId).signal(recordChangedSignal, record);
      outcomes.push({ instanceId: action.instanceId, outcome: 'updated' });
    } catch {
      // The instance closed between planning and signalling: nothing left to update.
      outcomes.push({ instanceId: action.instanceId, outcome: 'closed' });
    }
  }
  return outcomes;
}

/**
 * Plans one pipeline again once the instance that won the race to start has
 * saved its first step (its projection names the record it is bound to):
 * `signal` when it runs on this record, `ignored` when on another record of the
 * contact. Undefined when the record no longer matches.
 */
async function planOnceStarted(
  input: RecordTriggerInput,
  pipelineKey: string,
): Promise<{ record: RecordView; action: Exclude<TriggerAction, { action: 'start' }> } | undefined> {
  for (let attempt = 0; ; attempt++) {
    const { record, actions } = await planRecordTriggers({ recordId: input.recordId, actor: input.actor });
    const action = actions.find((a) => (a.action === 'start' ? a.definition.key : a.pipelineKey) === pipelineKey);
    if (!action) return undefined;
    if (action.action !== 'start') return { record, action };
    await sleep(Math.min(500 * 2 ** attempt, 30_000));
  }
}
