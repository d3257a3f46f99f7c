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

    async forInstance(instanceId: string): Promise<AuditEvent[]> {
      return (await events.find({ instanceId }).sort({ at: 1, _id: 1 }).toArray()).map(toEvent);
    },

    async forRecord(recordId: string): Promise<AuditEvent[]> {
      return (await events.find({ recordId }).sort({ at: 1, _id: 1 }).toArray()).map(toEvent);
    },
  };
}

export type EventStore = ReturnType<typeof eventStore>;
