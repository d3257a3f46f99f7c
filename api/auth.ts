import type { Request, RequestHandler } from 'express';
import { keyRefusal } from '../activities/store/api-keys';
import type { PeopleStore, User } from '../activities/store/people';
import type { Actor } from '../workflows/domain/types';
import { setActor } from './actor';
import { AppError } from './errors';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const keyIds = new WeakMap<Request, string>();

/** The id of the API key the request was authenticated with (the rate limit counts per key). */
export const apiKeyIdOf = (req: Request): string | undefined => keyIds.get(req);

/** The actor a user acts as: who it is, for the rules and the audit trail. */
export const userActor = (user: User): Actor => ({
  kind: 'user',
  userId: user.id,
  companyId: user.companyId,
  roles: user.roles,
  department: user.department,
  attributes: user.attributes,
});

/** Resolves `Authorization: Bearer <api key>` to the caller; every route after it needs one. */
export function authenticate(people: PeopleStore): RequestHandler {
  return (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    const refuse = (message: string) => {
      res.set('WWW-Authenticate', 'Bearer');
      next(new AppError(401, 'unauthenticated', message));
    };
    if (!match) return refuse('an API key is required: Authorization: Bearer <key>');
    (async () => {
      const key = await people.findApiKey(match[1]!);
      if (!key) return refuse('the API key is not valid');
      const refused = keyRefusal(key, Date.now());
      if (refused) return refuse(refused);
      const user = await people.getUser(key.userId);
      if (!user) return refuse('the API key is not valid');
      // Read on every request (held per process until people change, seen by other processes within 250 ms): a deactivated user's keys stop then.
      if (user.deactivatedAt) return refuse(`the API key's user was deactivated at ${user.deactivatedAt}`);
      keyIds.set(req, key.id);
      setActor(req, userActor(user));
      next();
    })().catch(next);
  };
}
