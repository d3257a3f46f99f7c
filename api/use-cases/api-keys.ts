import type { ApiKeyInfo, AuditEntry, Stores, User } from '../../activities/store';
import { newId } from '../../activities/store';
import type { Actor } from '../../workflows/domain/types';
import { written } from '../conditional';
import { AppError, notFound } from '../errors';
import { keyTerms, type KeyRequest } from '../key-policy';
import type { SecurityNotices } from '../security-notices';
import { isBreakGlass, managesKeysOf, managesUsersOf } from '../tenancy';

export interface ApiKeyDeps {
  stores: Stores;
  notifyKeyIssued: SecurityNotices;
  /** OPERATOR_KEY_TTL. */
  operatorKeyTtlMs: number;
}

/** A person as the audit trail keeps it: id, company and the name it has now. */
const person = (user: Pick<User, 'id' | 'companyId' | 'name'> | undefined, actor: Actor) => ({
  userId: actor.userId,
  companyId: actor.companyId ?? '',
  ...(user ? { name: user.name } : {}),
});

/**
 * API keys: issued, listed and revoked by their holder, the admins of its
 * company, and for a company's admins the platform operator. Every key issued
 * or revoked goes into the holder's company's audit trail; every key issued
 * raises `security.api_key_issued` to that company's webhooks, so a tenant
 * sees the operator's break-glass keys, and can revoke them.
 */
export function apiKeyUseCases({ stores, notifyKeyIssued, operatorKeyTtlMs }: ApiKeyDeps) {
  const { people, audit } = stores;

  async function keyHolder(actor: Actor, id: string): Promise<User> {
    const user = await people.getUser(id);
    if (!user || !managesKeysOf(actor, user)) throw notFound('user');
    return user;
  }

  function entry(kind: AuditEntry['kind'], actingUser: User | undefined, actor: Actor, holder: User, key: ApiKeyInfo, at: string): AuditEntry {
    return {
      id: newId('aud'),
      companyId: holder.companyId,
      kind,
      at,
      actor: person(actingUser, actor),
      subject: { userId: holder.id, companyId: holder.companyId, name: holder.name, keyId: key.id, keyPrefix: key.prefix },
      ...(key.breakGlass ? { breakGlass: true } : {}),
      ...(key.reason ? { reason: key.reason } : {}),
      ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
    };
  }

  return {
    keyHolder,

    /** The key is in this answer once; only its hash is kept. */
    async issue(actor: Actor, holderId: string, request: KeyRequest) {
      const holder = await keyHolder(actor, holderId);
      if (holder.deactivatedAt) throw new AppError(422, 'inactive_user', `user ${holder.id} was deactivated; it gets no keys`, { userId: holder.id });
      const breakGlass = isBreakGlass(actor, holder);
      const nowMs = Date.now();
      const terms = keyTerms(nowMs, request, breakGlass ? operatorKeyTtlMs : undefined);
      if (!terms.ok) throw new AppError(422, terms.code, terms.message, terms.details);
      const now = new Date(nowMs).toISOString();
      const key = await people.createApiKey(holder.id, now, {
        ...(terms.expiresAt ? { expiresAt: terms.expiresAt } : {}),
        ...(actor.userId !== holder.id ? { issuedBy: { userId: actor.userId, companyId: actor.companyId ?? '' } } : {}),
        ...(breakGlass ? { breakGlass: true, reason: request.reason } : {}),
      });
      const issued = entry('api_key.issued', await people.getUser(actor.userId), actor, holder, key, now);
      try {
        await audit.append(issued);
        await notifyKeyIssued(issued);
      } catch (err) {
        // Nobody holds a key the company was not told of: without its trail and notice, the key is withdrawn.
        await people.revokeApiKey(key.id, now, 'system');
        throw err;
      }
      return key;
    },

    async list(actor: Actor, holderId: string) {
      return people.listApiKeys((await keyHolder(actor, holderId)).id);
    },

    /** Every key of the caller's company, for its admins: where a tenant finds the keys the operator issued. */
    async listCompany(actor: Actor) {
      const companyId = actor.companyId ?? '';
      if (!managesUsersOf(actor, companyId)) throw new AppError(403, 'forbidden', 'the keys of a company are listed to its admins');
      const users = await people.listUsers({ companyId });
      return people.listApiKeysOf(users.map((u) => u.id));
    },

    async revoke(actor: Actor, keyId: string) {
      const key = await people.getApiKey(keyId);
      const holder = key && (await people.getUser(key.userId));
      if (!key || !holder || !managesKeysOf(actor, holder)) throw notFound('API key');
      const now = new Date().toISOString();
      const result = await people.revokeApiKey(key.id, now, actor.userId);
      const revoked = written(result, 'API key');
      if (result.status === 'written') await audit.append(entry('api_key.revoked', await people.getUser(actor.userId), actor, holder, revoked, now));
      return revoked;
    },

    /** The first admin's key of a new company, which the operator makes with it: in the company's trail from its first day. */
    async recordFirstKey(actor: Actor, holder: User, key: ApiKeyInfo) {
      await audit.append(entry('api_key.issued', await people.getUser(actor.userId), actor, holder, key, key.createdAt));
    },
  };
}

export type ApiKeyUseCases = ReturnType<typeof apiKeyUseCases>;
