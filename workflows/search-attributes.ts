import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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

export const SEARCH_ATTRIBUTES = [
  PipelineKey,
  ObjectType,
  RecordId,
  Stage,
  StageType,
  PartnerCompanyId,
  OwnerId,
  DeadlineAt,
] as const;
