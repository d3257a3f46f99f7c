import type { Db } from 'mongodb';
import { ensureIndexes } from './collections';
import { backfillRollup } from './rollup-backfill';
import { registerAdoptedTypes, registerTypesInUse } from './object-type-upgrade';
import type { ObjectTypeStore } from './object-types';
import type { PeopleStore } from './people';
import type { PipelineStore } from './pipelines';
import type { RollupStore } from './rollup';

export interface UpgradeReport {
  /** The owning company that took on what was stored before companies owned pipelines; none when there was nothing to adopt. */
  adoptedBy?: string;
  pipelines: number;
  versions: number;
  /** Partner companies from before programs, now in that company's program. */
  partners: number;
  /** Stage changes of an older audit trail folded into the analytics rollup; absent when there were none. */
  rollupFacts?: number;
  /** Object types in use before the registry existed (records, published versions), now registered; absent when there were none. */
  objectTypes?: number;
}

/**
 * What every process does to the database before it serves: the indexes, then
 * the upgrades of data an earlier version wrote. Idempotent and safe when the
 * worker and the API run it at once (each step copies before it removes).
 *
 * The analytics rollup takes in the stage changes of the audit trail written
 * before it, once (see rollup-backfill.ts).
 *
 * The upgrade of pipelines: pipelines were global before companies owned them,
 * and a database of that time has one owning company (its partner program's
 * owner), so its pipelines and versions become that company's, the first
 * owner company created. Its records, instances and running workflows already
 * carry their company and keep their ids. Its partner companies, from before
 * programs, join that company's program.
 *
 * Last, once, the object types in use before the registry are registered
 * (object-type-upgrade.ts): after the adoption, so adopted versions count
 * for their new company.
 */
export async function prepareDatabase(
  db: Db,
  stores: { people: PeopleStore; pipelines: PipelineStore; rollup: RollupStore; objectTypes: ObjectTypeStore },
): Promise<UpgradeReport> {
  await ensureIndexes(db);
  const facts = await backfillRollup(db, stores.rollup);
  const rollup = facts > 0 ? { rollupFacts: facts } : {};
  const adoption = await adopt(stores);
  if (adoption.adoptedBy) await registerAdoptedTypes(db, stores.objectTypes, adoption.adoptedBy);
  const types = await registerTypesInUse(db, stores.objectTypes);
  return { ...adoption, ...rollup, ...(types > 0 ? { objectTypes: types } : {}) };
}

async function adopt(stores: { people: PeopleStore; pipelines: PipelineStore }): Promise<Omit<UpgradeReport, 'rollupFacts' | 'objectTypes'>> {
  const owner = (await stores.people.listCompanies()).find((c) => c.kind === 'owner');
  if (!owner) return { pipelines: 0, versions: 0, partners: 0 };
  const adopted = await stores.pipelines.adoptGlobal(owner.id);
  const partners = await stores.people.enrolUnassignedPartners(owner.id, new Date().toISOString());
  return { ...adopted, partners, adoptedBy: adopted.pipelines + adopted.versions + partners > 0 ? owner.id : undefined };
}
