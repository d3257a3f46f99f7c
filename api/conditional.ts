import type { Request, Response } from 'express';
import type { VersionedWrite } from '../activities/store/versioned';
import { AppError, notFound } from './errors';

/**
 * Optimistic concurrency over HTTP, the same on every route that changes a
 * versioned document (records, pipeline drafts, users, webhooks): reads and
 * writes answer an `ETag` holding the version; `If-Match` names the version
 * the caller last saw; a stale one answers 412 `stale_version` and changes
 * nothing. Without If-Match a write lands on the newest version, or answers
 * 409 `conflict` when concurrent writers kept it from landing.
 */

/** If-Match: "3" (or 3, or W/"3"); undefined when the header is absent. */
export function ifMatch(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?(?:"(\d{1,9})"|(\d{1,9}))$/.exec(header.trim());
  if (!match) throw new AppError(400, 'invalid_if_match', 'If-Match must be a version, e.g. "3"');
  return Number(match[1] ?? match[2]);
}

/** The version a document carries (one written before versions is at 1). */
export const versionTag = (doc: { version?: number }) => `"${doc.version ?? 1}"`;

/** Sends the document with its ETag. */
export function sendVersioned(res: Response, doc: { version?: number }, body: unknown = doc, status = 200): void {
  res.status(status).set('ETag', versionTag(doc)).json(body);
}

export const staleVersion = (message: string) => new AppError(412, 'stale_version', message);

export const writeConflict = (what: string) =>
  new AppError(409, 'conflict', `the ${what} was being changed by other requests at the same time; read it again and retry`);

/** A store write's document, or the refusal it came to: 404, 412 stale_version, 409 conflict. */
export function written<T>(result: VersionedWrite<T>, what: string): T {
  switch (result.status) {
    case 'written':
    case 'unchanged':
      return result.doc;
    case 'missing':
      throw notFound(what);
    case 'stale':
      throw staleVersion(`the ${what} is at version ${result.version}; read it again before changing it`);
    case 'conflict':
      throw writeConflict(what);
  }
}
