import type { Db } from 'mongodb';
import type { AuditEvent } from '../../workflows/transition';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

type EventDoc = Doc<Omit<AuditEvent, 'eventId'>>;

const toEvent = ({ _id, ...rest }: EventDoc): AuditEvent => ({ eventId: _id, ...rest });

/** The audit trail: who moved what, from where to where, when and why. */
export function eventStore(db: Db) {
  const events = db.collection<EventDoc>(COLLECTIONS.events);
  return {
    /** Keyed by the event id: appending the same event twice keeps one. True when this call wrote it. */
    async append(event: AuditEvent): Promise<boolean> {
      const { eventId, ...rest } = event;
      try {
        await events.insertOne({ _id: eventId, ...rest });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        return false;
      }
    },

    /**
     * An instance's step events by their computed ids (`<instance>:<chain>:<seq>`, every sequence of every
     * chain the view names), one read by `_id` each, side by side: FerretDB answers a filter on `instanceId`
     * by reading every event. In the order of the audit trail (time, then id).
     */
    async forChains(instanceId: string, chains: Record<string, number>): Promise<AuditEvent[]> {
      const ids = Object.entries(chains).flatMap(([chainId, last]) => Array.from({ length: last }, (_, i) => `${instanceId}:${chainId}:${i + 1}`));
      const docs = await Promise.all(ids.map((_id) => events.findOne({ _id })));
      const found = docs.filter((d): d is EventDoc => d !== null);
      return found.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0)).map(toEvent);
    },

    /** By a filter on `instanceId` (a scan on FerretDB): for views 1.0 left without chains, the upgrade and tests. */
    async forInstance(instanceId: string): Promise<AuditEvent[]> {
      return (await events.find({ instanceId }).sort({ at: 1, _id: 1 }).toArray()).map(toEvent);
    },

    async forRecord(recordId: string): Promise<AuditEvent[]> {
      return (await events.find({ recordId }).sort({ at: 1, _id: 1 }).toArray()).map(toEvent);
    },
  };
}

export type EventStore = ReturnType<typeof eventStore>;
