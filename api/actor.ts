import type { Request } from 'express';
import type { Actor } from '../workflows/domain/types';
import { AppError } from './errors';

/** The authenticated caller, attached by the authentication middleware. */
export function setActor(req: Request, actor: Actor): void {
  (req as Request & { actor?: Actor }).actor = actor;
}

export function actorOf(req: Request): Actor {
  const actor = (req as Request & { actor?: Actor }).actor;
  if (!actor) throw new AppError(401, 'unauthenticated', 'missing or invalid API key');
  return actor;
}

export const isAdmin = (actor: Actor) => actor.roles.includes('admin');

export function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw new AppError(403, 'forbidden', 'this route is for admins');
}
