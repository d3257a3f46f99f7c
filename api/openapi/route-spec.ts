import { z } from 'zod';
import { ERROR_CODE_LIST, type ErrorCode } from '../error-codes';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type ContentType = 'application/json' | 'text/html' | 'text/plain' | 'image/svg+xml';

/**
 * One HTTP route as the OpenAPI document describes it. The request schemas are
 * the very objects the route parses with (imported from api/schemas), so the
 * document cannot drift from what the API accepts.
 */
export interface RouteSpec {
  method: Method;
  /** Express style, as registered: `/v1/instances/:id`. */
  path: string;
  /** Hand-named and unique: a generated client's method name (listRecords, moveInstance). */
  operationId: string;
  /** One line, at most 80 characters; the rest goes in description. */
  summary: string;
  description?: string;
  tag: string;
  /** Health and this documentation; every other route needs `Authorization: Bearer <api key>`. */
  public?: true;
  /** Path parameters the route parses with a schema; any other `:name` is a plain string. */
  params?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The route reads a missing body as `{}`. */
  bodyOptional?: true;
  /** Honours `Idempotency-Key` (and may answer 422 when a key is reused with another body). */
  idempotent?: true;
  /** Reads `If-Match` as the expected version of what it changes (412 stale_version on another). */
  ifMatch?: true;
  /** Without `shape=instance` answers, for this release, a deprecated form (Deprecation, Link rel="deprecation"); `ok.schema` is the new one. */
  deprecatedDefault?: true;
  ok: {
    status: 200 | 201;
    description: string;
    /** An output schema named with `.meta({ id })` (api/schemas/responses): required for JSON answers. */
    schema?: z.ZodType;
    /** The answer carries an ETag: the version of what it describes. */
    etag?: true;
    contentType?: ContentType;
    /** Answered instead of contentType when the request's Accept prefers it. */
    alternative?: ContentType;
  };
  /** Waits on a pipeline instance (Temporal): answers the catalogue's `temporal` codes too. */
  temporal?: true;
  /**
   * This route's own error codes (api/error-codes.ts); the codes of the scopes
   * it is in (every, authenticated, post, ifMatch, paged, temporal) are added
   * for it. A code answered with more than one status is listed under each,
   * unless pinned to one here as { code, status }.
   */
  codes?: ReadonlyArray<ErrorCode | { code: ErrorCode; status: number }>;
}

/** Every error answer: `{ error: { code, message, details, requestId } }` (api/errors.ts). */
export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODE_LIST).meta({ description: 'machine-readable, one of the catalogue (info.description); each operation lists the codes it answers per status' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).meta({
      description:
        "for a 400: formErrors and fieldErrors (the flattened form), and issues, each with its full path (stages[3].winRate), code and message; for a pipeline rule's refusal what it refused on (missing_fields: {stage, fields}, missing_tasks: {stage, tasks}, invalid_transition: {from, to, allowed}, unknown_stage: {stage, stages}); otherwise what the code needs",
    }),
    requestId: z.string().optional().meta({ description: 'the X-Request-Id of the request, to quote when asking about it' }),
  }),
});

export const ERROR_RESPONSES: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The request is not valid (zod issues in details), or its JSON is malformed.' },
  401: { name: 'Unauthenticated', description: 'No API key, or one that is unknown or revoked.' },
  403: { name: 'Forbidden', description: 'The caller may not do this (e.g. an admin-only route).' },
  404: { name: 'NotFound', description: 'Not found, or not visible to the caller.' },
  409: {
    name: 'Conflict',
    description: "Refused by a pipeline rule (with the rule's code), a duplicate, or conflict: other requests kept changing the same document (read it again and retry).",
  },
  405: { name: 'MethodNotAllowed', description: 'method_not_allowed: the path exists, not with this method; Allow lists the methods it takes.' },
  412: { name: 'PreconditionFailed', description: 'stale_version: If-Match (or a record body\'s version) names a version that is no longer the current one; nothing changed.' },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than 256 kB.' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not application/json.' },
  422: { name: 'Unprocessable', description: 'Well-formed, but names something that does not exist or cannot be used here.' },
  429: { name: 'RateLimited', description: 'Over the requests per minute allowed to this API key (rate_limited); Retry-After says when to retry.' },
  503: {
    name: 'Unavailable',
    description: 'Temporal or MongoDB cannot be reached, or no answer within the request timeout (timeout: the work may still complete); try again shortly.',
  },
  500: { name: 'Internal', description: 'An unexpected failure; quote the requestId.' },
};

/** What every answer may carry, whatever its status. */
export const COMMON_HEADERS = ['X-Request-Id'];

/** Headers an error answer of this status carries besides X-Request-Id (api/limits.ts, api/admission.ts, api/idempotency.ts). */
export const ERROR_HEADERS: Record<number, string[]> = {
  409: ['Retry-After'],
  429: ['RateLimit', 'RateLimit-Policy', 'Retry-After'],
  503: ['Retry-After'],
};
