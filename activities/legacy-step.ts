import type { Actor, Deadline, InstanceStatus, TaskState } from '../workflows/domain/types';
import type { AuditEvent, RecordChange, TransitionInput } from '../workflows/transition';
import type { StoredRecordInput } from '../workflows/trigger-types';

/**
 * A step's input as 1.0 scheduled it: an activity task scheduled by a 1.0
 * worker may be run by this version's (an upgrade while steps are in flight).
 * It carried the instance's whole projection and the audit event in full.
 */
export interface LegacyTransitionInput {
  eventId: string;
  recordId: string;
  record?: RecordChange;
  event: AuditEvent;
  tasksCreated: TaskState[];
  taskCompleted?: Pick<TaskState, 'id' | 'doneAt' | 'doneBy'>;
  recordsCreated?: StoredRecordInput[];
  planTriggersAs?: Actor;
  instance: {
    instanceId: string;
    pipelineKey: string;
    version: number;
    companyId: string;
    ownerId: string;
    partnerCompanyId?: string;
    contactId?: string;
    status: InstanceStatus;
    stage: string;
    stageEnteredAt: string;
    deadline?: Deadline;
    amount?: number;
    seq: number;
  };
}

export const isLegacyInput = (input: TransitionInput | LegacyTransitionInput): input is LegacyTransitionInput =>
  'instance' in input && typeof (input as LegacyTransitionInput).instance === 'object';

/**
 * The same step in this version's terms. 1.0's instance did not keep the
 * writer of its record, so it writes directly, as it did; its view lacks the
 * step's visit until the instance's next step, which writes the whole view.
 */
export function fromLegacyInput(old: LegacyTransitionInput): TransitionInput {
  const p = old.instance;
  const { eventId: _e, instanceId: _i, recordId: _r, pipelineKey: _k, ...event } = old.event;
  return {
    eventId: old.eventId,
    recordId: old.recordId,
    pipeline: { companyId: p.companyId, key: p.pipelineKey, version: p.version },
    ...(old.record ? { record: old.record } : {}),
    event,
    view: {
      seq: p.seq,
      status: p.status,
      stage: p.stage,
      stageEnteredAt: p.stageEnteredAt,
      ...(p.deadline ? { deadline: p.deadline } : {}),
      ...(old.tasksCreated.length > 0 ? { tasksCreated: old.tasksCreated } : {}),
      ...(old.taskCompleted ? { taskDone: old.taskCompleted } : {}),
      ...(p.amount !== undefined ? { amount: p.amount } : {}),
      parties: { ownerId: p.ownerId, ...(p.partnerCompanyId ? { partnerCompanyId: p.partnerCompanyId } : {}), ...(p.contactId ? { contactId: p.contactId } : {}) },
    },
    ...(old.recordsCreated ? { recordsCreated: old.recordsCreated } : {}),
    ...(old.planTriggersAs ? { startLinkedAs: old.planTriggersAs } : {}),
  };
}
