import type { RequestHandler } from 'express';
import { actorOf } from './actor';
import { AppError } from './errors';
import { readsRecordData } from './tenancy';

/**
 * Every route that reads or changes a company's records, their types, their
 * runs, their pipelines or their webhooks; case-insensitive, as express's routing is.
 */
const RECORD_DATA = /^\/v1\/(records|object-types|instances|leads|forecast|pipelines|webhooks)(\/|$)/i;

/**
 * The platform operator reads no record data: refused here, before a body is
 * read or a store asked, whatever the route would have answered.
 */
export const recordDataGuard: RequestHandler = (req, _res, next) => {
  if (RECORD_DATA.test(req.path) && !readsRecordData(actorOf(req))) {
    next(new AppError(403, 'forbidden', 'the platform operator reads no record data'));
    return;
  }
  next();
};
