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
