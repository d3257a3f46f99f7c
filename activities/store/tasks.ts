import type { Db } from 'mongodb';
import type { TaskState } from '../../workflows/domain/types';
import { COLLECTIONS, type Doc } from './collections';

export interface StoredTask extends TaskState {
  instanceId: string;
  recordId: string;
}

type TaskDoc = Doc<Omit<StoredTask, 'id'>>;

/** Tasks created by stages, mirrored from the instances for listing by assignee. */
export function taskStore(db: Db) {
  const tasks = db.collection<TaskDoc>(COLLECTIONS.tasks);
  return {
    /** Upserts keyed by task id (event id + task key): a retry writes the same documents. */
    async create(instanceId: string, recordId: string, created: TaskState[]): Promise<void> {
      if (created.length === 0) return;
      await tasks.bulkWrite(
        created.map(({ id, ...task }) => ({
          replaceOne: { filter: { _id: id }, replacement: { ...task, instanceId, recordId }, upsert: true },
        })),
        { ordered: true },
      );
    },

    async complete(id: string, doneAt: string | undefined, doneBy: string | undefined): Promise<void> {
      await tasks.updateOne({ _id: id }, { $set: { status: 'done', doneAt, doneBy } });
    },

    async get(id: string): Promise<StoredTask | undefined> {
      const doc = await tasks.findOne({ _id: id });
      if (!doc) return undefined;
      const { _id, ...rest } = doc;
      return { id: _id, ...rest };
    },

    async forInstance(instanceId: string): Promise<StoredTask[]> {
      const docs = await tasks.find({ instanceId }).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    },
  };
}

export type TaskStore = ReturnType<typeof taskStore>;
