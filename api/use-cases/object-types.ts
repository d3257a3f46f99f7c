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
  async function known(actor: Actor, type: string): Promise<boolean> {
    const own = actor.companyId ?? '';
    if (await stores.objectTypes.isRegistered([own], type)) return true;
    const company = own ? await stores.people.getCompany(own) : undefined;
    if (company?.kind !== 'partner') return false;
    return stores.objectTypes.isRegistered(company.programs ?? 'any', type);
  }

  return {
    /** 404 unknown_object_type unless `type` is one the caller may use: nothing is read or written for a misspelt type. */
    async require(actor: Actor, type: string): Promise<void> {
      if (await known(actor, type)) return;
      throw new AppError(404, 'unknown_object_type', `"${type}" is not an object type of your company; GET /v1/object-types lists them (an admin registers one with POST /v1/object-types, or by publishing a pipeline on it)`, {
        type,
      });
    },

    list(actor: Actor): Promise<ObjectType[]> {
      return stores.objectTypes.list(actor.companyId ?? '');
    },

    register(actor: Actor, body: NewObjectTypeBody): Promise<{ type: ObjectType; created: boolean }> {
      return stores.objectTypes.register(actor.companyId ?? '', { key: body.key, ...(body.name ? { name: body.name } : {}), source: 'admin', createdBy: actor.userId }, new Date().toISOString());
    },
  };
}

export type ObjectTypeUseCases = ReturnType<typeof objectTypeUseCases>;
