import type { Request } from 'express';
import { AppError } from './errors';

/** A single path parameter as a string (express 5 types wildcards as arrays). */
export function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 300) {
    throw new AppError(400, 'invalid_request', `invalid path parameter "${name}"`);
  }
  return value;
}

/**
 * An instance's opaque id: `ins_` and its readable id (the Temporal workflow
 * id, `<company>:<pipeline>:<record>`, which the Web UI shows) in base64url,
 * so a path never carries colons or a tenant's ids in the clear.
 */
export const opaqueInstanceId = (instanceId: string) => `ins_${Buffer.from(instanceId, 'utf8').toString('base64url')}`;

/** An instance id from a path: the opaque form or the readable one, read as the readable one. */
export function instanceParam(req: Request, name = 'id'): string {
  const value = param(req, name);
  if (!value.startsWith('ins_')) return value;
  const readable = Buffer.from(value.slice(4), 'base64url').toString('utf8');
  if (readable.length === 0 || opaqueInstanceId(readable) !== value) throw new AppError(400, 'invalid_request', `invalid instance id "${value}"`);
  return readable;
}
