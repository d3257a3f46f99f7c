import type { Request } from 'express';
import type { Actor } from '../workflows/domain/types';
import { AppError } from './errors';
import { isCompanyAdmin, type Check } from './tenancy';

/** The authenticated caller, attached by the authentication middleware. */
export function setActor(req: Request, actor: Actor): void {
  (req as Request & { actor?: Actor }).actor = actor;
}

export function actorOf(req: Request): Actor {
  const actor = (req as Request & { actor?: Actor }).actor;
  if (!actor) throw new AppError(401, 'unauthenticated', 'missing or invalid API key');
  return actor;
}

/** A Company Admin: `admin` of its own company (never the platform operator). */
export const isAdmin = isCompanyAdmin;

export function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw new AppError(403, 'forbidden', 'this route is for admins');
}

/** Turns a refusal of api/tenancy.ts into its HTTP error. */
export function enforce(check: Check): asserts check is Extract<Check, { ok: true }> {
  if (!check.ok) throw new AppError(check.status, check.status === 404 ? 'not_found' : 'forbidden', check.message);
}
