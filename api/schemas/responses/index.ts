/**
 * What every JSON answer of the API looks like: zod output schemas, each
 * named with `.meta({ id })` and carrying one realistic example. The OpenAPI
 * document lists them under components.schemas, and tests parse real answers
 * with them, so a schema that drifts from an answer fails.
 */
export * from './instances';
export * from './setup';
export * from './people';
export * from './figures';
export * from './webhooks';
export { InstanceStatus, StageType, Assignee, TaskKind } from './shared';
