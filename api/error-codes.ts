import type { RefusalCode } from '../workflows/domain/types';

/**
 * Where a code can be answered, besides the operations that name it:
 * `path` by a path with no such operation (the method or the route is not
 * there; such a path answers the `every` and `authenticated` codes too), `every` by every operation, `authenticated` by every operation
 * behind an API key, `post` by every POST (Idempotency-Key), `ifMatch` by
 * every operation that reads If-Match, `paged` by every list that takes a
 * cursor, `temporal` by every operation that waits on a pipeline instance,
 * `operation` only by the operations that list it (api/openapi/table-*.ts).
 */
export type ErrorScope = 'path' | 'every' | 'authenticated' | 'post' | 'ifMatch' | 'paged' | 'temporal' | 'operation';

export interface ErrorCodeEntry {
  /** The statuses it is answered with; most codes have one. */
  status: readonly number[];
  scope: ErrorScope;
  /** One line: what happened, and what to do about it when that is not obvious. */
  meaning: string;
}

const at = (status: number | readonly number[], scope: ErrorScope, meaning: string): ErrorCodeEntry => ({
  status: typeof status === 'number' ? [status] : status,
  scope,
  meaning,
});

/**
 * Every code the API answers in `{ error: { code } }` (and as the problem type
 * `urn:propeller:error:<code>`), with its status and meaning. AppError takes
 * only these codes, so a new one cannot be thrown without being listed here,
 * and the OpenAPI document lists per operation which of them it answers.
 */
export const ERROR_CODES = {
  // Any path
  method_not_allowed: at(405, 'path', 'the path exists, not with this method; Allow lists the methods it takes'),
  internal: at(500, 'every', 'an unexpected failure; quote the requestId'),
  timeout: at(503, 'every', 'no answer within the request timeout; the work may still complete: read before retrying'),
  // Every route behind an API key
  unauthenticated: at(401, 'authenticated', 'no API key, or one that is unknown, expired or revoked'),
  rate_limited: at(429, 'authenticated', 'over the requests per minute allowed to this API key; retry after Retry-After'),
  overloaded: at(503, 'authenticated', 'the API is at capacity and did not run the request (nothing changed); retry after Retry-After'),
  database_unavailable: at(503, 'authenticated', 'the database is not reachable; try again shortly'),
  invalid_request: at(400, 'authenticated', 'the path, query or body is not valid (the issues are in details)'),
  malformed_json: at(400, 'authenticated', 'the body is not valid JSON, or not UTF-8'),
  bad_request: at(400, 'authenticated', 'the request could not be read (e.g. it was cut off)'),
  payload_too_large: at(413, 'authenticated', 'the body is larger than 256 kB'),
  unsupported_media_type: at(415, 'authenticated', 'the body is not application/json, or not in a charset or encoding the API reads'),
  // Every POST
  invalid_idempotency_key: at(400, 'post', 'Idempotency-Key is not 1 to 200 visible ASCII characters'),
  idempotency_key_reused: at(422, 'post', 'this Idempotency-Key was used with another body'),
  idempotency_in_progress: at(409, 'post', 'a request with this Idempotency-Key is still running; send it again once it has answered'),
  // Every If-Match
  invalid_if_match: at(400, 'ifMatch', 'If-Match is not a version such as "3"'),
  stale_version: at([412, 409], 'ifMatch', 'the version sent (If-Match or body.version) is no longer the current one; nothing changed: read it again'),
  conflict: at(409, 'operation', 'other requests kept changing the same document; read it again and retry'),
  // Every list read by cursor
  invalid_cursor: at(400, 'paged', 'the cursor is not one this API gave out; start from the first page'),
  cursor_mismatch: at(400, 'paged', 'the cursor belongs to a list with other filters'),
  // Every operation that waits on a pipeline instance
  temporal_unavailable: at(503, 'temporal', 'Temporal is not reachable; try again shortly'),
  temporal_timeout: at(503, 'temporal', 'the instance did not answer in time; the change may still apply: retry with the same Idempotency-Key'),
  instance_busy: at(503, 'temporal', 'the instance did not take the change now (nothing was applied); retry shortly'),
  // Access
  forbidden: at(403, 'operation', 'the caller may not do this (e.g. an admin-only route, fields its company does not own)'),
  out_of_scope: at(403, 'operation', "the record is outside the pipeline's scope for this caller"),
  not_found: at(404, 'operation', 'not there, or not visible to the caller (also a path with no route)'),
  // Health
  not_ready: at(503, 'operation', 'Temporal or MongoDB does not answer (details say which)'),
  // People, companies, keys
  unknown_company: at(422, 'operation', 'the company named does not exist'),
  user_deactivated: at(409, 'operation', 'the user was deactivated and cannot change'),
  inactive_user: at(422, 'operation', 'a deactivated user is named as owner, assignee, participant or key holder'),
  invalid_expiry: at(422, 'operation', 'expiresAt is in the past, or later than a break-glass key may live'),
  reason_required: at([409, 422], 'operation', 'a reason is required: for this move (409), or for a break-glass key (422)'),
  // Pipelines
  key_mismatch: at(400, 'operation', 'the body names another pipeline key than the path'),
  duplicate: at(409, 'operation', 'a pipeline with this key exists'),
  stage_field_fixed: at(409, 'operation', 'a published pipeline keeps its object type and stage field'),
  stage_field_taken: at(409, 'operation', 'another active pipeline runs these records on this stage field'),
  invalid_definition: at(422, 'operation', 'the draft cannot be published (problems in details)'),
  // Records
  unknown_owner: at(422, 'operation', "the owner named is not a user of the caller's company"),
  unknown_partner: at(422, 'operation', 'the partner company named does not exist'),
  partner_not_in_program: at(422, 'operation', "the partner company is not in the caller's partner program"),
  stage_field: at([409, 422], 'operation', 'the stage field follows the pipeline stage: move the instance instead'),
  linked_record_not_found: at(422, 'operation', 'a linked record does not exist or is not visible to the caller'),
  wrong_record_type: at([409, 422], 'operation', 'a linked or created record is of another type than the field or task takes'),
  instance_starting: at(503, 'operation', 'the instance this Idempotency-Key started has not taken its first step; retry with the same key shortly'),
  record_busy: at(503, 'operation', 'the record changed writers while the update was sent; retry shortly'),
  // Instances: starting
  unknown_object_type: at(404, 'operation', "the path's object type is not one of the caller's company's (GET /v1/object-types)"),
  wrong_object_type: at(422, 'operation', 'the pipeline runs on another object type than the record'),
  manual_start_disabled: at(409, 'operation', 'the pipeline does not allow manual starts'),
  filter_not_matched: at(409, 'operation', "the record does not match the pipeline's filter (failed conditions in details)"),
  reinitiation_disabled: at(409, 'operation', 'the pipeline does not start a finished instance again'),
  already_running: at(409, 'operation', 'an instance of this pipeline is already running for this record'),
  // Instances: a pipeline rule's refusal (workflows/domain)
  not_allowed: at(409, 'operation', 'the caller may not make this move or complete this task'),
  missing_fields: at(409, 'operation', 'fields the stage or task needs are missing (details: stage or task, fields)'),
  missing_tasks: at(409, 'operation', 'required tasks of the stage are open (details: stage, tasks)'),
  unknown_stage: at(422, 'operation', 'the pipeline has no such stage (details: stage, stages)'),
  same_stage: at(409, 'operation', 'the instance is in that stage already'),
  final_stage: at(409, 'operation', 'the instance is in a final stage'),
  not_reversible: at(409, 'operation', 'the pipeline does not move back'),
  not_skippable: at(409, 'operation', 'the pipeline does not skip stages'),
  not_repeatable: at(409, 'operation', 'the stage cannot be entered again'),
  invalid_transition: at(409, 'operation', 'no transition leads there from this stage (details: from, to, allowed)'),
  not_running: at(409, 'operation', 'the instance is no longer running'),
  unknown_task: at(409, 'operation', 'the instance has no such task'),
  task_done: at(409, 'operation', 'the task is done already'),
  unexpected_fields: at(409, 'operation', 'fields the task does not fill in were sent'),
  not_finished: at(409, 'operation', 'only an instance in an outcome stage can be reactivated'),
  not_reactivatable: at(409, 'operation', 'the pipeline does not reactivate this instance'),
  not_a_create_record_task: at([409, 422], 'operation', 'the task fills in fields; it creates no record'),
  refused: at(409, 'operation', 'the instance refused the change without naming a rule'),
  // Leads
  no_instance: at(409, 'operation', 'the lead is not in a partner program pipeline'),
  // Webhooks
  forbidden_url: at(422, 'operation', 'the webhook URL names an internal address (reason in details)'),
  webhook_disabled: at(409, 'operation', 'the webhook is disabled: turn it on first'),
  not_redeliverable: at(409, 'operation', 'the delivery kept no copy of its payload'),
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A problem's `type` (RFC 9457): a URN per code, `urn:propeller:error:<code>`. */
export const PROBLEM_TYPE_BASE = 'urn:propeller:error:';

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

/**
 * Every refusal of the pipeline rules crosses to the API as its own code
 * (api/errors.ts refusal), outside_fields aside (answered as forbidden): a rule
 * given a new code fails the build until the code is catalogued.
 */
type Uncatalogued = Exclude<RefusalCode, ErrorCode | 'outside_fields'>;
export const REFUSALS_CATALOGUED: [Uncatalogued] extends [never] ? true : Uncatalogued = true;
