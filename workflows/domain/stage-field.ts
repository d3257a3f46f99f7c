import type { PipelineDefinition } from './types';

/** What a pipeline claims: the records it runs on and the single-select field that mirrors their stage. */
export type StageFieldClaim = Pick<PipelineDefinition, 'key' | 'objectType' | 'stageField'>;

/**
 * Seed 000: "for the same object, only one single-select field can be used for
 * the Pipeline and cannot be modified". These two parts of a definition are
 * fixed once it has a published version: instances and records already hold
 * their stage in that field.
 */
export const FIXED_AFTER_PUBLISH = ['objectType', 'stageField'] as const;
export type FixedField = (typeof FIXED_AFTER_PUBLISH)[number];

/** The fixed parts an edit of a published pipeline would change; empty when it keeps them. */
export function changedFixedFields(published: StageFieldClaim, edited: StageFieldClaim): FixedField[] {
  return FIXED_AFTER_PUBLISH.filter((field) => published[field] !== edited[field]);
}

/**
 * The key of another enabled pipeline that already holds this object type and
 * stage field (two would both start on a new record and fight over the field);
 * undefined when the claim is free.
 */
export function stageFieldHolder(claim: StageFieldClaim, enabled: readonly StageFieldClaim[]): string | undefined {
  return enabled.find((other) => other.key !== claim.key && other.objectType === claim.objectType && other.stageField === claim.stageField)
    ?.key;
}
