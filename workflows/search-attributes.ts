import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
  type TypedSearchAttributes,
} from '@temporalio/common';
import { findStage, initialStage } from './domain/moves';
import type { Actor, InstanceState, PipelineDefinition, PipelineVersion, RecordView } from './domain/types';
import { InstanceMachine } from './instance-machine';

/**
 * The search attributes every pipeline instance keeps up to date, so an SRE can
 * find runs in the Web UI or with
 * `temporal workflow list --query "PipelineKey='partner-lead' AND Stage='Pending'"`.
 * The local stack and the test run register them; a cluster needs them created once.
 */
export const PipelineKey = defineSearchAttributeKey('PipelineKey', SearchAttributeType.KEYWORD);
export const ObjectType = defineSearchAttributeKey('ObjectType', SearchAttributeType.KEYWORD);
export const RecordId = defineSearchAttributeKey('RecordId', SearchAttributeType.KEYWORD);
export const Stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const StageType = defineSearchAttributeKey('StageType', SearchAttributeType.KEYWORD);
export const PartnerCompanyId = defineSearchAttributeKey('PartnerCompanyId', SearchAttributeType.KEYWORD);
export const OwnerId = defineSearchAttributeKey('OwnerId', SearchAttributeType.KEYWORD);
export const DeadlineAt = defineSearchAttributeKey('DeadlineAt', SearchAttributeType.DATETIME);
/** The owning company (the tenant), so an SRE can look at one company's runs: `CompanyId='cmp_acme' AND PipelineKey='partner-lead'`. */
export const CompanyId = defineSearchAttributeKey('CompanyId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  PipelineKey,
  ObjectType,
  RecordId,
  Stage,
  StageType,
  PartnerCompanyId,
  OwnerId,
  DeadlineAt,
  CompanyId,
] as const;

/** What an instance's search attributes are made from: its state, or what a starter knows before the first step. */
export type Indexed = Pick<InstanceState, 'pipelineKey' | 'objectType' | 'recordId' | 'stage' | 'deadline'> & {
  record: Pick<RecordView, 'ownerId' | 'partnerCompanyId' | 'companyId'>;
};

/** Every search attribute of an instance in this state; null for one it does not have. */
export function instanceSearchAttributes(def: PipelineDefinition, s: Indexed): SearchAttributeUpdatePair[] {
  const stage = findStage(def, s.stage);
  return [
    { key: PipelineKey, value: s.pipelineKey },
    { key: ObjectType, value: s.objectType },
    { key: RecordId, value: s.recordId },
    { key: Stage, value: stage?.name ?? s.stage },
    { key: StageType, value: stage?.type ?? 'normal' },
    { key: OwnerId, value: s.record.ownerId },
    { key: PartnerCompanyId, value: s.record.partnerCompanyId ?? null },
    { key: DeadlineAt, value: s.deadline ? new Date(s.deadline.at) : null },
    { key: CompanyId, value: s.record.companyId },
  ];
}

/** The attributes a run in this state starts with, as a starter sets them: those with a value. */
export function heldSearchAttributes(def: PipelineDefinition, s: Indexed): SearchAttributePair[] {
  return instanceSearchAttributes(def, s).filter((pair): pair is SearchAttributePair => pair.value !== null);
}

/**
 * The search attributes an instance starts with, set by whoever starts it so
 * the run's first task need not write them. With `first` (the starter knows
 * when the first stage is entered: `entersAt`, or the creation time of a
 * record the instance creates): those of the state that step leaves, its
 * deadline included. Otherwise the step's time is the task's own: those of
 * the initial stage with no deadline yet (the first step arms it, and writes it).
 */
export function startSearchAttributes(
  def: PipelineVersion,
  record: RecordView,
  first?: { actor: Actor; at: string },
): SearchAttributePair[] {
  // With `first`, the step the run will plan: its ids do not matter here, only the state it leaves.
  const start = first
    ? InstanceMachine.blank('', '', def, record).planStart(first.actor, first.at).next
    : { pipelineKey: def.key, objectType: def.objectType, recordId: record.id, stage: initialStage(def).key, record };
  return heldSearchAttributes(def, start);
}

/** Whether a search attribute already holds this value (null: it has none). */
export function holds(current: TypedSearchAttributes, pair: SearchAttributeUpdatePair): boolean {
  const now: unknown = current.get(pair.key);
  if (pair.value === null) return now === undefined;
  if (pair.value instanceof Date) return now instanceof Date && now.getTime() === pair.value.getTime();
  return now === pair.value;
}
