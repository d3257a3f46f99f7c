import type { Db } from 'mongodb';
import { COLLECTIONS } from './collections';
import type { ObjectTypeStore } from './object-types';
import type { VersionDoc } from './pipeline-docs';
import { objectTypesOf } from './pipelines';

/**
 * A database written before the object-type registry has records and
 * published pipelines whose types no company registered: every type in use
 * (each company's distinct record types, and the types of every published
 * version) is registered once, so nothing that worked before answers
 * unknown_object_type. Safe if cut off (registering is idempotent; the mark
 * comes last) and when two processes run it at once. Answers how many types
 * it registered.
 */
export async function registerTypesInUse(db: Db, objectTypes: ObjectTypeStore): Promise<number> {
  if (await objectTypes.inUseRegistered()) return 0;
  // $group with a compound _id: FerretDB 1.24 answers it (no $lookup, only $group's own accumulators).
  const inRecords = await db
    .collection(COLLECTIONS.records)
    .aggregate<{ _id: { companyId?: unknown; type?: unknown } }>([{ $group: { _id: { companyId: '$companyId', type: '$type' } } }])
    .toArray();
  const entries = [...inRecords.map(({ _id }) => ({ companyId: _id.companyId, key: _id.type })), ...(await publishedTypes(db))];
  const now = new Date().toISOString();
  const added = await objectTypes.registerAll(entries.filter(isEntry), 'upgrade', now);
  await objectTypes.markInUseRegistered(now);
  return added;
}

/** The types of `companyId`'s published versions (of every company's without it), as registry entries. */
async function publishedTypes(db: Db, companyId?: string): Promise<Array<{ companyId: unknown; key: unknown }>> {
  const versions = await db
    .collection<VersionDoc>(COLLECTIONS.pipelineVersions)
    .find(companyId ? { companyId } : {}, { projection: { companyId: 1, 'definition.objectType': 1, 'definition.stages': 1 } })
    .toArray();
  return versions.flatMap((v) => objectTypesOf({ objectType: v.definition.objectType, stages: v.definition.stages ?? [] }).map((key) => ({ companyId: v.companyId, key })));
}

const isEntry = (e: { companyId: unknown; key: unknown }): e is { companyId: string; key: string } =>
  typeof e.companyId === 'string' && e.companyId !== '' && typeof e.key === 'string' && e.key !== '';

/** Versions adopted from before companies owned pipelines (upgrade.ts) run on types their new company then has. */
export async function registerAdoptedTypes(db: Db, objectTypes: ObjectTypeStore, companyId: string): Promise<void> {
  await objectTypes.registerAll((await publishedTypes(db, companyId)).filter(isEntry), 'upgrade', new Date().toISOString());
}
