import { z } from 'zod';
import type { Filter, PipelineDefinition, PipelinePolicy, StageDef, Who } from '../../workflows/domain/types';
import { validateDefinition } from '../../workflows/domain/validate';
import { alreadyReported, fieldName, id, jsonValue, key, list, name, problemPath, role } from './common';

const description = z.string().max(2000).optional();
const flag = z.boolean().optional();
const duration = z.string().max(32);

export const MAX_FILTER_DEPTH = 5;
const FILTER_OPS = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'exists', 'contains'] as const;
/** What a filter path may read, for the OpenAPI document (README "Filters" says the same). */
const FILTER_PATHS =
  'A path is field names joined by ".", starting with what it reads: ' +
  '`record.<field>` a field of the record (record.budget); ' +
  '`<link>.<field>` a field of the record its `<link>Id` field links to, or `contact.<field>` (account.industry for a record with accountId); ' +
  '`owner.department` the owner\'s primary department (also owner.roles, owner.attributes.<name>); ' +
  '`user.id` the user who creates, updates or starts (also user.department, user.roles); ' +
  '`user.attributes.<name>` a free attribute of that user (user.attributes.region).';
const filterPath = z
  .string()
  .max(256)
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$/, 'a path is field names joined by "."')
  .meta({ description: FILTER_PATHS });

const Condition = z.strictObject({ op: z.enum(FILTER_OPS), path: filterPath, value: jsonValue.optional() });
const And = z.strictObject({ and: list(z.lazy(() => FilterNode), 20).min(1) });
const Or = z.strictObject({ or: list(z.lazy(() => FilterNode), 20).min(1) });

/** Picked by key rather than a plain union, so an error names the part that is wrong, not just "invalid input". */
const FilterNode: z.ZodType<Filter> = z.unknown().transform((node, ctx) => {
  const has = (k: string) => typeof node === 'object' && node !== null && k in node;
  const result = (has('and') ? And : has('or') ? Or : Condition).safeParse(node);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue });
  return z.NEVER;
});

/** Counted before zod recurses, so a hostile body nested thousands deep costs nothing. */
function nestedTooDeep(node: unknown, level = 1): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const { and, or } = node as { and?: unknown; or?: unknown };
  const children = [...(Array.isArray(and) ? and : []), ...(Array.isArray(or) ? or : [])];
  if (children.length === 0) return false;
  return level > MAX_FILTER_DEPTH || children.some((child) => nestedTooDeep(child, level + 1));
}

export const FilterBody = z
  .unknown()
  .refine((node) => !nestedTooDeep(node), `and/or groups nest at most ${MAX_FILTER_DEPTH} deep`)
  .pipe(FilterNode)
  .meta({
    description:
      `A condition { op, path, value? } (op: ${FILTER_OPS.join(', ')}) ` +
      `or a group { and: [...] } / { or: [...] } of 1–20 filters, nested at most ${MAX_FILTER_DEPTH} deep. ` +
      FILTER_PATHS,
  });

const WhoBody = z.strictObject({
  roles: list(role, 20).optional(),
  owner: flag,
  ownerCompany: flag,
  partnerCompany: flag,
  users: list(id, 100).optional(),
});

const FieldValueBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('value'), value: jsonValue }),
  z.strictObject({ kind: z.literal('now'), offset: duration.optional() }),
  z.strictObject({ kind: z.literal('actor') }),
  z.strictObject({ kind: z.literal('unset') }),
]);

const AssigneeBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('owner') }),
  z.strictObject({ kind: z.literal('creator') }),
  z.strictObject({ kind: z.literal('role'), role }),
  z.strictObject({ kind: z.literal('user'), userId: id }),
  z.strictObject({ kind: z.literal('partner_company') }),
]);

const taskBase = { key, name, description, assignee: AssigneeBody, required: z.boolean().default(false) };
const TaskBody = z.discriminatedUnion('kind', [
  z.strictObject({ ...taskBase, kind: z.literal('edit_fields'), fields: list(fieldName, 50).min(1) }),
  z.strictObject({ ...taskBase, kind: z.literal('create_record'), recordType: key, linkField: fieldName }),
]);

const StageBody = z.strictObject({
  key,
  name,
  type: z.enum(['normal', 'success', 'failure', 'invalid']).default('normal'),
  initial: flag,
  winRate: z.number().min(0).max(100).optional(),
  rules: z
    .strictObject({
      from: list(key, 50).optional(),
      enter: WhoBody.optional(),
      exit: WhoBody.optional(),
      back: WhoBody.optional(),
      requiredFields: list(fieldName, 100).optional(),
      requiredTasks: list(key, 50).optional(),
      requireReason: flag,
    })
    .optional(),
  effects: z
    .strictObject({
      setFields: list(z.strictObject({ field: fieldName, value: FieldValueBody, onlyIfEmpty: flag }), 50).optional(),
      archive: flag,
      invite: z.strictObject({ users: list(id, 100).optional(), companies: list(id, 100).optional(), partnerCompany: flag }).optional(),
      privateFields: list(fieldName, 100).optional(),
    })
    .optional(),
  tasks: list(TaskBody, 50).optional(),
  deadline: z.strictObject({ after: duration.optional(), atField: fieldName.optional(), to: key }).optional(),
  // The bound and the other rules are checked by validateDefinition, which names the stage.
  reminders: list(z.strictObject({ before: duration }), 20).optional(),
  autoAdvance: z.strictObject({ to: key }).optional(),
  interconnection: flag,
});

/** A published version in a path: `/v1/pipelines/:key/versions/:version`. */
export const VersionParam = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, 'a version is a positive integer')
  .transform(Number);

const off = z.boolean().default(false);

/** The shape alone, without the semantic check: the answers (api/schemas/responses) describe stored definitions with it. */
export const DefinitionShape = z.strictObject({
  key,
  name,
  description,
  objectType: key,
  stageField: fieldName,
  scope: z
    .strictObject({ users: list(id, 100).optional(), departments: list(name, 100).optional(), roles: list(role, 20).optional() })
    .optional(),
  trigger: z
    .strictObject({ onCreate: off, manual: z.boolean().default(true), reinitiate: off })
    .default(() => ({ onCreate: false, manual: true, reinitiate: false })),
  filter: FilterBody.optional(),
  multipleRuns: z.boolean().default(true),
  stages: list(StageBody, 50).min(1),
  policy: z
    .strictObject({ reversible: off, skippable: off, repeatable: off, reactivatable: off })
    .default(() => ({ reversible: false, skippable: false, repeatable: false, reactivatable: false })),
  interconnection: z.strictObject({ enabled: z.boolean(), partnerCompanyField: fieldName.optional() }).optional(),
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The full check for a definition: its shape, then every semantic problem of
 * validateDefinition as its own issue. The semantic check also runs when the
 * shape has issues, so one 400 lists everything wrong at once.
 */
export const PipelineDefinitionBody = DefinitionShape.superRefine(
  (def, ctx) => {
    let problems: string[];
    try {
      problems = validateDefinition(def);
    } catch {
      return; // a shape too broken to reason about; zod's issues already say why
    }
    for (const problem of problems) {
      const path = problemPath(problem);
      if (!alreadyReported(ctx.issues, path)) ctx.addIssue({ code: 'custom', message: problem, path });
    }
  },
  { when: ({ value }) => isObject(value) && Array.isArray(value.stages) },
);

type Parsed = z.infer<typeof PipelineDefinitionBody>;
type ParsedStage = Parsed['stages'][number];
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
/** Compile-time: the schema yields a PipelineDefinition and forgets none of its fields. */
const _mirrorsTypes: [
  Parsed extends PipelineDefinition ? true : false,
  SameKeys<Parsed, PipelineDefinition>,
  SameKeys<ParsedStage, StageDef>,
  SameKeys<NonNullable<ParsedStage['rules']>, NonNullable<StageDef['rules']>>,
  SameKeys<NonNullable<ParsedStage['effects']>, NonNullable<StageDef['effects']>>,
  SameKeys<NonNullable<NonNullable<ParsedStage['rules']>['enter']>, Who>,
  SameKeys<Parsed['policy'], PipelinePolicy>,
] = [true, true, true, true, true, true, true];
