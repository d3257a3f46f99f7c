import type { Db, Filter } from 'mongodb';
import type { InstanceProjection } from '../../workflows/transition';
import { COLLECTIONS, type Doc } from './collections';

type InstanceDoc = Doc<Omit<InstanceProjection, 'instanceId'>>;

const toProjection = ({ _id, ...rest }: InstanceDoc): InstanceProjection => ({ instanceId: _id, ...rest });

export interface InstanceQuery {
  pipelineKey?: string;
  stage?: string;
  status?: InstanceProjection['status'];
  /** Only instances whose record this company owns or is assigned. */
  visibleTo?: string;
}

export interface ForecastRow {
  _id: string;
  count: number;
  amount: number;
  weightedAmount: number;
}

/** A projection of every instance, for listing and for runs that have closed. */
export function instanceStore(db: Db) {
  const instances = db.collection<InstanceDoc>(COLLECTIONS.instances);
  return {
    /**
     * Written after every step. Steps of one instance run one at a time, so the
     * newest write always carries the highest sequence; a retry rewrites the same.
     */
    async save(projection: InstanceProjection): Promise<void> {
      const { instanceId, ...rest } = projection;
      await instances.replaceOne({ _id: instanceId }, rest, { upsert: true });
    },

    async get(instanceId: string): Promise<InstanceProjection | undefined> {
      const doc = await instances.findOne({ _id: instanceId });
      return doc ? toProjection(doc) : undefined;
    },

    /** Every instance bound to the record, by a query on `recordId` (FerretDB reads the whole collection for it). */
    async forRecord(recordId: string): Promise<InstanceProjection[]> {
      return (await instances.find({ recordId }).toArray()).map(toProjection);
    },

    /** The ones of these ids that exist, in the order given: one read by `_id` each, side by side. */
    async byIds(ids: string[]): Promise<InstanceProjection[]> {
      const docs = await Promise.all(ids.map((_id) => instances.findOne({ _id })));
      return docs.filter((d): d is InstanceDoc => d !== null).map(toProjection);
    },

    /**
     * Open instances (running, in a normal stage) with an amount, summed by
     * stage and by owner: with $group and $sum only, which FerretDB supports.
     * One accumulator per $group: FerretDB 1.24 computes only the first
     * accumulator of a $group and returns 0 for the others.
     */
    /** One owning company's open amounts: a tenant never sums another's. */
    async forecast(companyId: string, pipelineKey: string, ownerId?: string): Promise<{ byStage: ForecastRow[]; byOwner: ForecastRow[] }> {
      const $match: Filter<InstanceDoc> = { companyId, pipelineKey, status: 'running', stageType: 'normal', amount: { $exists: true } };
      if (ownerId) $match.ownerId = ownerId;
      type Cell = { _id: { stage: string; ownerId: string }; value: number };
      const sum = (value: 1 | '$amount' | '$weightedAmount') =>
        instances.aggregate<Cell>([{ $match }, { $group: { _id: { stage: '$stage', ownerId: '$ownerId' }, value: { $sum: value } } }]).toArray();
      const [count, amount, weightedAmount] = await Promise.all([sum(1), sum('$amount'), sum('$weightedAmount')]);
      const byStage = new Map<string, ForecastRow>();
      const byOwner = new Map<string, ForecastRow>();
      const add = (rows: Map<string, ForecastRow>, id: string, measure: 'count' | 'amount' | 'weightedAmount', value: number) => {
        const row = rows.get(id) ?? { _id: id, count: 0, amount: 0, weightedAmount: 0 };
        row[measure] += typeof value === 'number' ? value : 0;
        rows.set(id, row);
      };
      for (const [measure, cells] of [['count', count], ['amount', amount], ['weightedAmount', weightedAmount]] as const) {
        for (const cell of cells) {
          add(byStage, cell._id.stage, measure, cell.value);
          add(byOwner, cell._id.ownerId, measure, cell.value);
        }
      }
      return { byStage: [...byStage.values()], byOwner: [...byOwner.values()] };
    },

    async list(query: InstanceQuery, page: { limit: number; skip: number }): Promise<InstanceProjection[]> {
      const filter: Filter<InstanceDoc> = {};
      if (query.pipelineKey) filter.pipelineKey = query.pipelineKey;
      if (query.stage) filter.stage = query.stage;
      if (query.status) filter.status = query.status;
      if (query.visibleTo !== undefined) filter.$or = [{ companyId: query.visibleTo }, { partnerCompanyId: query.visibleTo }];
      const docs = await instances.find(filter).sort({ updatedAt: -1, _id: 1 }).skip(page.skip).limit(page.limit).toArray();
      return docs.map(toProjection);
    },
  };
}

export type InstanceStore = ReturnType<typeof instanceStore>;
