import { parseDuration } from './duration';
import { findStage } from './moves';
import type { Deadline, PipelineDefinition, RecordView } from './types';
import { toEpochMs } from './values';

/**
 * The deadline of `stageKey` for a record that entered it at `enteredAtIso`.
 * A date held in `atField` wins over `after`, so updating that field moves
 * the deadline; without a usable date it falls back to `after`.
 */
export function computeDeadline(
  def: PipelineDefinition,
  stageKey: string,
  record: RecordView,
  enteredAtIso: string,
): Deadline | undefined {
  const deadline = findStage(def, stageKey)?.deadline;
  if (!deadline) return undefined;
  if (deadline.atField) {
    const at = toEpochMs(record.fields[deadline.atField]);
    if (at !== undefined) return { at: new Date(at).toISOString(), to: deadline.to, source: 'field' };
  }
  if (deadline.after) {
    const ms = parseDuration(deadline.after);
    const entered = Date.parse(enteredAtIso);
    if (ms !== undefined && !Number.isNaN(entered)) {
      return { at: new Date(entered + ms).toISOString(), to: deadline.to, source: 'after' };
    }
  }
  return undefined;
}
