import type { Collection, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKey, type Doc } from './collections';
import { pipelineId, versionId, type PipelineDoc, type PipelineFields, type VersionDoc, type VersionFields } from './pipeline-docs';

/** Written before companies owned pipelines: keyed by the pipeline key alone, with no company. */
type GlobalPipelineDoc = Doc<PipelineFields>;
type GlobalVersionDoc = Doc<VersionFields>;

/** A copy an earlier, interrupted run already made is left as it is. */
async function insertOnce<T extends Doc<object>>(collection: Collection<T>, doc: T): Promise<void> {
  try {
    await collection.insertOne(doc as OptionalUnlessRequiredId<T>);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

/**
 * The upgrade from pipelines without companies: every pipeline and version
 * stored before then becomes the given company's, under its company-scoped
 * id. Each document is copied before its old one is removed, so a start cut
 * off halfway finishes on the next; a second run finds nothing to do.
 * Answers how many pipelines and versions moved.
 */
export async function adoptGlobalPipelines(
  pipelines: Collection<PipelineDoc>,
  versions: Collection<VersionDoc>,
  companyId: string,
): Promise<{ pipelines: number; versions: number }> {
  const unowned = { companyId: { $exists: false } };
  const oldPipelines = (await pipelines.find(unowned).toArray()) as unknown as GlobalPipelineDoc[];
  for (const { _id: key, ...rest } of oldPipelines) {
    await insertOnce(pipelines, { ...rest, _id: pipelineId(companyId, key), companyId, key, globalIds: true });
    await pipelines.deleteOne({ _id: key });
  }
  const oldVersions = (await versions.find(unowned).toArray()) as unknown as GlobalVersionDoc[];
  for (const { _id: old, ...rest } of oldVersions) {
    await insertOnce(versions, { ...rest, _id: versionId(companyId, rest.pipelineKey, rest.version), companyId });
    await versions.deleteOne({ _id: old });
  }
  return { pipelines: oldPipelines.length, versions: oldVersions.length };
}
