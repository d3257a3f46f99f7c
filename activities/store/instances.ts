import type { Db, Filter } from 'mongodb';
import { findStage } from '../../workflows/domain/moves';
import type { Deadline, InstanceState, InstanceStatus, PipelineVersion, RecordView, ReminderState, StageType, StageVisit, TaskState } from '../../workflows/domain/types';
import type { PipelineRef } from '../../workflows/pipeline-ref';
import type { ViewChange } from '../../workflows/transition';
import { keysetPage, type After, type Order, type PageAsked } from './keyset';
import { COLLECTIONS, type Doc } from './collections';
import { stepPatch, visitsOf, tasksOf, type StoredTask, type StoredVisit } from './view-patch';

/**
 * What the API reads of an instance instead of asking its workflow: written
 * by the step that changes the instance, so it outlives the run's history,
 * which the namespace's retention deletes.
 */
export interface InstanceView {
  instanceId: string;
  /** The current chain (a re-initiation starts another) and the last sequence of every chain: the events' ids follow from them. */
  chainId: string;
  chains: Record<string, number>;
  pipelineKey: string;
  pipelineName: string;
  version: number;
  objectType: string;
  recordId: string;
  companyId: string;
  ownerId: string;
  partnerCompanyId?: string;
  contactId?: string;
  status: InstanceStatus;
  stage: string;
  stageType: StageType;
  stageEnteredAt: string;
  deadline?: Deadline;
  reminders?: ReminderState;
  /** The most recent stage visits, oldest first (the audit trail has them all). */
  history: StageVisit[];
  /** Open tasks, and the latest done task of each stage and key (the tasks collection has them all). */
  tasks: TaskState[];
  /** The record's `amount`, the stage's win rate, and their product: what the forecast sums. */
  amount?: number;
  winRate?: number;
  weightedAmount?: number;
  seq: number;
  updatedAt: string;
  /** False for the projection 1.0 wrote, until the upgrade's backfill or the instance's next step completes it. */
  complete: boolean;
}

/** The fields a list answers with: the view without its visits and tasks. */
export type InstanceProjection = Omit<InstanceView, 'history' | 'tasks' | 'chains' | 'complete' | 'reminders'>;

type InstanceDoc = Doc<
  Omit<InstanceView, 'instanceId' | 'history' | 'tasks' | 'complete' | 'chains'> & {
    chains?: Record<string, number>;
    visits?: Record<string, StoredVisit>;
    tasks?: Record<string, StoredTask>;
    /** Set by every write of this version; a 1.0 projection has none. */
    view?: number;
  }
>;

const VIEW_VERSION = 1;

function toView(doc: InstanceDoc): InstanceView {
  const { _id, visits, tasks, view, chains, ...rest } = doc;
  return { instanceId: _id, ...rest, chains: chains ?? {}, history: visitsOf(visits), tasks: tasksOf(tasks), complete: view === VIEW_VERSION };
}

const LISTED = { visits: 0, tasks: 0, chains: 0, reminders: 0, view: 0 } as const;

function toProjection(doc: InstanceDoc): InstanceProjection {
  const { _id, visits: _v, tasks: _t, view: _w, chains: _c, reminders: _r, ...rest } = doc;
  return { instanceId: _id, ...rest };
}

/** The state a reopening run starts from: the view and the record as stored (the record's writer is joined again). */
export function stateOf(view: InstanceView, record: RecordView): InstanceState {
  return {
    instanceId: view.instanceId,
    chainId: view.chainId,
    pipelineKey: view.pipelineKey,
    pipelineName: view.pipelineName,
    version: view.version,
    objectType: view.objectType,
    recordId: view.recordId,
    status: view.status,
    stage: view.stage,
    stageEnteredAt: view.stageEnteredAt,
    history: view.history,
    tasks: view.tasks,
    record,
    ...(view.deadline ? { deadline: view.deadline } : {}),
    ...(view.reminders ? { reminders: view.reminders } : {}),
    seq: view.seq,
  };
}

export interface InstanceQuery {
  pipelineKey?: string;
  stage?: string;
  status?: InstanceStatus;
  /** Only instances whose record this company owns or is assigned. */
  visibleTo?: string;
  recordId?: string;
  partnerCompanyId?: string;
  /** ISO time: instances whose stage deadline falls before it. */
  deadlineBefore?: string;
  /** `updatedAt`: oldest change first, for a sync (an instance moved while a client pages comes again, never skipped); by default by id. */
  sort?: 'id' | 'updatedAt';
}

export interface ForecastRow {
  _id: string;
  count: number;
  amount: number;
  weightedAmount: number;
}

/** What a step tells the view besides its change: which instance, and the version whose names and win rates it reads. */
export interface ViewStep {
  instanceId: string;
  chainId: string;
  /** The stage visit the step began, if any. */
  visit?: StageVisit;
  recordId: string;
  pipeline: PipelineRef;
  def: PipelineVersion;
  change: ViewChange;
  at: string;
}

/** The instances' views, for reads, lists, the forecast and runs that have closed. */
export function instanceStore(db: Db) {
  const instances = db.collection<InstanceDoc>(COLLECTIONS.instances);

  type ViewMark = Pick<InstanceDoc, '_id' | 'seq' | 'chainId' | 'view'>;
  const mark = (instanceId: string) => instances.findOne<ViewMark>({ _id: instanceId }, { projection: { seq: 1, chainId: 1, view: 1 } });

  /**
   * The view's update for `step`, when the view as stored is older (`older`
   * says so of its sequence, chain and version; absent, it is new). Read by
   * `_id`, then written by `_id` alone: FerretDB answers a filter on anything
   * more by reading every view (110 ms for 5,000 of them where `_id` alone
   * takes 1.5), and its update was never atomic with its filter anyway.
   */
  async function write(step: ViewStep, older: (stored: Pick<InstanceDoc, 'seq' | 'chainId' | 'view'>) => boolean, read?: Promise<ViewMark | null>): Promise<boolean> {
    const stored = await (read ?? mark(step.instanceId));
    if (stored && !older(stored)) return false;
    const { change, def } = step;
    const stage = findStage(def, change.stage);
    const base = {
      recordId: step.recordId,
      companyId: step.pipeline.companyId,
      pipelineKey: step.pipeline.key,
      version: step.pipeline.version,
      pipelineName: def.name,
      objectType: def.objectType,
      stageType: stage?.type ?? 'normal',
      updatedAt: step.at,
      view: VIEW_VERSION,
    };
    await instances.updateOne({ _id: step.instanceId }, stepPatch(change, step, base, stage?.winRate), { upsert: true });
    return true;
  }

  return {
    /**
     * One update per step, guarded by the step's sequence: a retried or older
     * write of the same chain matches nothing and changes nothing (the view
     * may already be further on). A chain started by a re-initiation replaces
     * the earlier chain's visits and tasks. Answers whether it wrote.
     */
    applyStep(step: ViewStep, read?: Promise<ViewMark | null>): Promise<boolean> {
      return write(step, (stored) => stored.chainId !== step.chainId || stored.seq < step.change.seq, read);
    },

    /** The sequence and chain a view stands at: what a retried step checks before it writes the view again. */
    mark,

    /** The whole view, written as one: the upgrade's backfill of an instance 1.0 left, from its state. */
    backfill(state: InstanceState, companyId: string, def: PipelineVersion, at: string): Promise<boolean> {
      const change: ViewChange = {
        seq: state.seq,
        status: state.status,
        stage: state.stage,
        stageEnteredAt: state.stageEnteredAt,
        ...(state.deadline ? { deadline: state.deadline } : {}),
        ...(state.reminders ? { reminders: state.reminders } : {}),
        parties: { ownerId: state.record.ownerId, partnerCompanyId: state.record.partnerCompanyId, contactId: state.record.contactId },
        whole: { history: state.history, tasks: state.tasks },
        ...(typeof state.record.fields.amount === 'number' ? { amount: state.record.fields.amount } : {}),
      };
      const step: ViewStep = { instanceId: state.instanceId, chainId: state.chainId, recordId: state.recordId, pipeline: { companyId, key: def.key, version: def.version }, def, change, at };
      // Guarded like a step, but a view from 1.0 at the same sequence is completed too.
      return write(step, (stored) => stored.view !== VIEW_VERSION || stored.chainId !== state.chainId || stored.seq < state.seq);
    },

    async get(instanceId: string): Promise<InstanceView | undefined> {
      const doc = await instances.findOne({ _id: instanceId });
      return doc ? toView(doc) : undefined;
    },

    /** Every instance bound to the record, by a query on `recordId` (FerretDB reads the whole collection for it): for tests and tools. */
    async forRecord(recordId: string): Promise<InstanceProjection[]> {
      return (await instances.find({ recordId }, { projection: LISTED }).toArray()).map(toProjection);
    },

    /** The ones of these ids that exist, in the order given: one read by `_id` each, side by side. */
    async byIds(ids: string[]): Promise<InstanceProjection[]> {
      const docs = await Promise.all(ids.map((_id) => instances.findOne({ _id }, { projection: LISTED })));
      return docs.filter((d): d is InstanceDoc => d !== null).map(toProjection);
    },

    /** Views a version before this one left (a 1.0 projection): what the upgrade backfills. A scan, once per start. */
    async incomplete(limit: number): Promise<InstanceProjection[]> {
      const docs = await instances.find({ view: { $ne: VIEW_VERSION } }, { projection: LISTED }).limit(limit).toArray();
      return docs.map(toProjection);
    },

    /**
     * Open instances (running, in a normal stage) with an amount, summed by
     * stage and by owner: with $group and $sum only, which FerretDB supports.
     * One accumulator per $group: FerretDB 1.24 computes only the first
     * accumulator of a $group and returns 0 for the others.
     * One owning company's open amounts: a tenant never sums another's.
     */
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

    /**
     * Per stage of a pipeline, the instances a board shows (running, or finished in an outcome stage; not
     * cancelled): how many, the sum of their amounts and of their weighted amounts. One measure per
     * aggregate, as the forecast does, with $match and $group/$sum only (what FerretDB 1.24 runs).
     */
    async board(companyId: string, pipelineKey: string, filter: { ownerId?: string; partnerCompanyId?: string } = {}): Promise<ForecastRow[]> {
      const $match: Filter<InstanceDoc> = { companyId, pipelineKey, status: { $in: ['running', 'finished'] } };
      if (filter.ownerId) $match.ownerId = filter.ownerId;
      if (filter.partnerCompanyId) $match.partnerCompanyId = filter.partnerCompanyId;
      type Cell = { _id: string; value: number };
      const sum = (value: 1 | '$amount' | '$weightedAmount') =>
        instances.aggregate<Cell>([{ $match }, { $group: { _id: '$stage', value: { $sum: value } } }]).toArray();
      const [count, amount, weightedAmount] = await Promise.all([sum(1), sum('$amount'), sum('$weightedAmount')]);
      const rows = new Map<string, ForecastRow>();
      for (const [measure, cells] of [['count', count], ['amount', amount], ['weightedAmount', weightedAmount]] as const) {
        for (const cell of cells) {
          const row = rows.get(cell._id) ?? { _id: cell._id, count: 0, amount: 0, weightedAmount: 0 };
          row[measure] += typeof cell.value === 'number' ? cell.value : 0;
          rows.set(cell._id, row);
        }
      }
      return [...rows.values()];
    },

    /**
     * A page of instances, in a stable order: by id (which never changes), or
     * by last change, oldest first (a moved instance goes to the end, so a
     * client paging on reads it again rather than skipping it).
     */
    async page(query: InstanceQuery, page: PageAsked): Promise<{ instances: InstanceProjection[]; next?: After }> {
      const filter: Filter<InstanceDoc> = {};
      if (query.pipelineKey) filter.pipelineKey = query.pipelineKey;
      if (query.stage) filter.stage = query.stage;
      if (query.status) filter.status = query.status;
      if (query.recordId) filter.recordId = query.recordId;
      if (query.partnerCompanyId) filter.partnerCompanyId = query.partnerCompanyId;
      if (query.deadlineBefore) filter['deadline.at'] = { $lt: query.deadlineBefore };
      if (query.visibleTo !== undefined) filter.$or = [{ companyId: query.visibleTo }, { partnerCompanyId: query.visibleTo }];
      const order: Order = query.sort === 'updatedAt' ? { field: 'updatedAt', dir: 1 } : { field: '_id', dir: 1 };
      const { docs, next } = await keysetPage(instances, filter, order, page, { projection: LISTED });
      return { instances: docs.map(toProjection), ...(next ? { next } : {}) };
    },
  };
}

export type InstanceStore = ReturnType<typeof instanceStore>;
