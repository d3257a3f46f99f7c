import type { Stores, User } from '../../activities/store';
import { newId } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import { enforce } from '../actor';
import { written } from '../conditional';
import { AppError, notFound } from '../errors';
import { checkDeactivation, checkRoles, checkUserEdit, seesUser } from '../tenancy';

export interface UserPatch {
  name?: string;
  roles?: string[];
  department?: string | null;
  attributes?: Record<string, unknown>;
}

/** Users: changed and deactivated by their own company's admins, on the version they read (If-Match) or the newest. */
export function userUseCases({ stores }: { stores: Stores }) {
  const { people } = stores;

  const companyOf = async (id: string) => {
    const company = await people.getCompany(id);
    if (!company) throw new AppError(422, 'unknown_company', `company ${id} does not exist`);
    return company;
  };

  /** A user the caller may see; 404 for every other, as for a record. */
  async function seen(actor: Actor, id: string): Promise<User> {
    const user = await people.getUser(id);
    if (!user || !seesUser(actor, user)) throw notFound('user');
    return user;
  }

  return {
    seen,
    companyOf,

    async update(actor: Actor, id: string, patch: UserPatch, expectedVersion?: number): Promise<User> {
      const user = await people.getUser(id);
      if (!user) throw notFound('user');
      enforce(checkUserEdit(actor, user));
      if (patch.roles) enforce(checkRoles(actor, await companyOf(user.companyId), patch.roles));
      const { department, ...rest } = patch;
      const result = await people.updateUser(
        id,
        (current) => {
          if (current.deactivatedAt) throw new AppError(409, 'user_deactivated', `user ${id} was deactivated at ${current.deactivatedAt}`);
          const next: User = { ...current, ...rest };
          if (department === null) delete next.department;
          else if (department !== undefined) next.department = department;
          return next;
        },
        { expectedVersion },
      );
      return written(result, 'user');
    },

    /**
     * Offboarding: the user's keys stop working at once (authentication reads
     * the user on every request), its records, assignments and audit events
     * stay, and nothing can make it an owner, assignee or participant again.
     * Deactivating twice keeps the first time.
     */
    async deactivate(actor: Actor, id: string, expectedVersion?: number): Promise<User> {
      const user = await people.getUser(id);
      if (!user) throw notFound('user');
      enforce(checkDeactivation(actor, user));
      const now = new Date().toISOString();
      const result = await people.updateUser(id, (current) => (current.deactivatedAt ? undefined : { ...current, deactivatedAt: now, deactivatedBy: actor.userId }), {
        expectedVersion,
      });
      const deactivated = written(result, 'user');
      if (result.status === 'written') {
        const acting = await people.getUser(actor.userId);
        await stores.audit.append({
          id: newId('aud'),
          companyId: user.companyId,
          kind: 'user.deactivated',
          at: now,
          actor: { userId: actor.userId, companyId: actor.companyId ?? '', ...(acting ? { name: acting.name } : {}) },
          subject: { userId: user.id, companyId: user.companyId, name: user.name },
        });
      }
      return deactivated;
    },
  };
}

export type UserUseCases = ReturnType<typeof userUseCases>;
