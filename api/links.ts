import type { Stores } from '../activities/store';
import { canSeeRecord, outsideFields, outsideFieldsMessage } from '../workflows/domain';
import type { Actor, MoveRequest } from '../workflows/domain/types';
import { AppError } from './errors';

/**
 * The one check every link goes through: a record's `<name>Id` fields and its
 * contact, a task's link, a lead converted by link, and the fields of records
 * that tasks and conversions create. A linked record must exist, be visible
 * to the caller, and belong to the owning company of the record that links
 * to it; otherwise 422 `linked_record_not_found`, the same answer whichever
 * it is, so nothing of another tenant's records shows.
 */

export interface Link {
  field: string;
  id: string;
  /** The type the link needs (a task's or a conversion's), when it needs one. */
  type?: string;
}

/** The links a set of fields makes: every non-empty string in a `<name>Id` field (the shape filters follow, activities/triggers.ts). Pure. */
export function linkFields(fields: Record<string, unknown> | undefined): Link[] {
  return Object.entries(fields ?? {})
    .filter(([name, value]) => name.length > 2 && name.endsWith('Id') && typeof value === 'string' && value.trim() !== '')
    .map(([field, id]) => ({ field, id: id as string }));
}

export function linkChecks(stores: Stores) {
  /** `shown` says whether the caller named the id: a link the record already held is not named back to a caller that may not read it. */
  async function check(actor: Actor, ownerCompanyId: string, link: Link, shown = true): Promise<void> {
    const linked = await stores.records.get(link.id);
    const details = shown ? { field: link.field, id: link.id } : { field: link.field };
    if (!linked || linked.companyId !== ownerCompanyId || !canSeeRecord(actor, linked)) {
      const what = `${link.type ?? 'record'}${shown ? ` ${link.id}` : ` (the one ${link.field} holds)`}`;
      throw new AppError(422, 'linked_record_not_found', `there is no ${what} that you can see`, details);
    }
    if (link.type !== undefined && linked.type !== link.type) {
      throw new AppError(422, 'wrong_record_type', `record${shown ? ` ${link.id}` : ''} in ${link.field} is a ${linked.type}, not a ${link.type}`, details);
    }
  }

  return {
    check,
    /** Every link in `fields` (and the contact), for a record of `ownerCompanyId`. */
    async fields(actor: Actor, ownerCompanyId: string, fields: Record<string, unknown> | undefined, contactId?: string): Promise<void> {
      const links = [...linkFields(fields), ...(contactId ? [{ field: 'contactId', id: contactId }] : [])];
      for (const link of links) await check(actor, ownerCompanyId, link);
    },
    /** The link fields of a move or task of an instance, checked against its record's company; an instance the caller may not see is left to the use case's 404. */
    async ofInstance(actor: Actor, instanceId: string, fields: Record<string, unknown> | undefined, move?: MoveRequest): Promise<void> {
      if (linkFields(fields).length === 0) return;
      const instance = await stores.instances.get(instanceId);
      const record = instance && (await stores.records.get(instance.recordId));
      if (!record || !canSeeRecord(actor, record)) return;
      // Fields the caller's company may not send at all are refused as such (403), before their links are looked at.
      const def = move && (await stores.pipelines.getVersion(instance.companyId, instance.pipelineKey, instance.version));
      const outside = def && move ? outsideFields(def, record.companyId, actor, move) : undefined;
      if (outside && outside.refused.length > 0) throw new AppError(403, 'forbidden', outsideFieldsMessage(move!.to, outside), { fields: outside.refused });
      for (const link of linkFields(fields)) await check(actor, record.companyId, link);
    },
  };
}

export type LinkChecks = ReturnType<typeof linkChecks>;

/** What a move carries to an instance: who makes it, and the fields it sets. */
interface MoveRequestInput {
  actor: Actor;
  move: MoveRequest;
  /** A record the same step creates: a field may link it before it exists (a conversion's new opportunity). */
  createRecord?: { id: string };
}

/** A move's fields without the links to the record its own step creates. */
function linksOfMove(input: MoveRequestInput): Record<string, unknown> | undefined {
  const created = input.createRecord?.id;
  if (!created || !input.move.fields) return input.move.fields;
  return Object.fromEntries(Object.entries(input.move.fields).filter(([, value]) => value !== created));
}

/**
 * The instance client with every move's link fields checked just before the
 * move is sent, after the use case's own refusals (404, 403): a move may set
 * `<name>Id` fields of its record, by the moves route, a lead action or the
 * first step of a reactivation. The reopening input is the last argument.
 */
export function withLinkedMoves<
  C extends {
    move(instanceId: string, input: MoveRequestInput): Promise<unknown>;
    reopen(...args: never[]): Promise<unknown>;
  },
>(client: C, links: LinkChecks): C {
  return {
    ...client,
    async move(instanceId: string, input: MoveRequestInput) {
      await links.ofInstance(input.actor, instanceId, linksOfMove(input), input.move);
      return client.move(instanceId, input);
    },
    async reopen(...args: never[]) {
      const input = args[args.length - 1] as unknown as { instanceId: string; reopen: MoveRequestInput };
      await links.ofInstance(input.reopen.actor, input.instanceId, linksOfMove(input.reopen));
      return client.reopen(...args);
    },
  };
}
