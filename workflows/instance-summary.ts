import type { PipelineVersion, RecordView } from './domain/types';
import type { PipelineInstanceInput } from './messages';
import { startSearchAttributes } from './search-attributes';

const MAX_TITLE = 80;

/** The record's human name (`fields.title`, else `fields.name`), on one line and short; undefined when it has none. */
export function recordTitle(record: Pick<RecordView, 'fields'>): string | undefined {
  const raw = [record.fields.title, record.fields.name].find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined;
  if (raw === undefined) return undefined;
  const line = raw.replace(/\s+/g, ' ').trim();
  return line.length > MAX_TITLE ? `${line.slice(0, MAX_TITLE - 1)}…` : line;
}

/**
 * What an instance is, for an SRE reading the Temporal Web UI: its memo and its
 * one-line static summary, e.g. `Partner lead v1 · lead rec_1 · "Acme roof"`.
 * Set when the instance starts (by the API or by a record trigger).
 */
export function instanceMemo(definition: Pick<PipelineVersion, 'name' | 'version'>, record: Pick<RecordView, 'id' | 'fields'>) {
  const title = recordTitle(record);
  return {
    pipelineName: definition.name,
    pipelineVersion: definition.version,
    recordId: record.id,
    ...(title !== undefined ? { recordTitle: title } : {}),
  };
}

export function instanceSummary(
  definition: Pick<PipelineVersion, 'name' | 'version'>,
  record: Pick<RecordView, 'id' | 'type' | 'fields'>,
): string {
  const title = recordTitle(record);
  const parts = [`${definition.name} v${definition.version}`, `${record.type} ${record.id}`];
  if (title !== undefined) parts.push(`"${title}"`);
  return parts.join(' · ');
}

/**
 * What every start of an instance sets besides its input (the API's and a
 * workflow's alike): the memo, the first search attributes and the summary,
 * so the run's first task need not write them. An instance that creates its
 * record enters its first stage at `createsRecord.at`, one started with
 * `entersAt` at that time: its first state is then known here, deadline
 * included (see startSearchAttributes).
 */
export function instanceStartOptions(
  definition: PipelineVersion,
  input: Pick<PipelineInstanceInput, 'record' | 'startedBy' | 'createsRecord' | 'entersAt'>,
) {
  const { record, startedBy, createsRecord, entersAt } = input;
  const at = entersAt ?? createsRecord?.at;
  return {
    memo: instanceMemo(definition, record),
    typedSearchAttributes: startSearchAttributes(definition, record, at === undefined ? undefined : { actor: startedBy, at }),
    staticSummary: instanceSummary(definition, record),
  };
}
