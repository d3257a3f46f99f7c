import type { ObjectType, Stores } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import { AppError } from '../errors';

export interface NewObjectTypeBody {
  key: string;
  name?: string;
}

/**
 * The object-type registry as callers meet it. A record route takes a type
 * its caller's company registered (or a built-in one); a partner company's
 * users also take the types of the owners whose programs it is in, since
 * they read the records those owners assign to it. A partner company from
 * before programs stands in every program (api/tenancy.ts), so any owner's
 * type counts for it. Every lookup is in memory (object-types.ts).
 */
export function objectTypeUseCases({ stores }: { stores: Stores }) {
  /** The companies whose types the caller takes: its own, and for a partner company's users the owners whose programs it is in. */
  async function companiesOf(actor: Actor): Promise<string[] | 'any'> {
    const own = actor.companyId ?? '';
    const company = own ? await stores.people.getCompany(own) : undefined;
    if (company?.kind !== 'partner') return [own];
    return company.programs ? [own, ...company.programs] : 'any';
  }

  async function known(actor: Actor, type: string): Promise<boolean> {
    // The caller's own company first: no company read on the hot path of an owner's record routes.
    if (await stores.objectTypes.isRegistered([actor.companyId ?? ''], type)) return true;
    const companies = await companiesOf(actor);
    return companies.length > 1 || companies === 'any' ? stores.objectTypes.isRegistered(companies, type) : false;
  }

  return {
    /** 404 unknown_object_type unless `type` is one the caller may use: nothing is read or written for a misspelt type. */
    async require(actor: Actor, type: string): Promise<void> {
      if (await known(actor, type)) return;
      throw new AppError(404, 'unknown_object_type', `"${type}" is not an object type of your company; GET /v1/object-types lists them (an admin registers one with POST /v1/object-types, or by publishing a pipeline on it)`, {
        type,
      });
    },

    /** The types the caller's record routes take: its company's, and a partner's users' also those of its programs' owners. */
    async list(actor: Actor): Promise<ObjectType[]> {
      return stores.objectTypes.list(await companiesOf(actor));
    },

    register(actor: Actor, body: NewObjectTypeBody): Promise<{ type: ObjectType; created: boolean }> {
      return stores.objectTypes.register(actor.companyId ?? '', { key: body.key, ...(body.name ? { name: body.name } : {}), source: 'admin', createdBy: actor.userId }, new Date().toISOString());
    },
  };
}

export type ObjectTypeUseCases = ReturnType<typeof objectTypeUseCases>;
