import { COLLECTIONS } from '../../activities/store';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline, recordInstanceId } from '../support/pipelines';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(60_000);

/** Qualify (three tasks) → Propose (needs the budget task done; creates its own task) → Won. */
function dealPipeline(): PipelineDefinition {
  return {
    key: uid('tsk'),
    name: 'Deals with tasks',
    objectType: uid('opp'),
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    stages: [
      {
        key: 'qualify',
        name: 'Qualify',
        type: 'normal',
        initial: true,
        tasks: [
          { key: 'budget', name: 'Record the budget', kind: 'edit_fields', fields: ['budget', 'budgetOwner'], assignee: { kind: 'owner' }, required: true },
          { key: 'discount', name: 'Approve the discount', kind: 'edit_fields', fields: ['discount'], assignee: { kind: 'role', role: 'manager' }, required: false },
          { key: 'quote', name: 'Create a quotation', kind: 'create_record', recordType: 'quotation', linkField: 'quotationId', assignee: { kind: 'owner' }, required: false },
        ],
      },
      {
        key: 'propose',
        name: 'Propose',
        type: 'normal',
        rules: { requiredTasks: ['budget'] },
        tasks: [{ key: 'proposal', name: 'Upload the proposal', kind: 'edit_fields', fields: ['proposalUrl'], assignee: { kind: 'creator' }, required: true }],
      },
      { key: 'won', name: 'Won', type: 'success' },
    ],
  };
}

/** Review moves on to Approved by itself once its two required tasks are done; the optional one does not hold it. */
function reviewPipeline(): PipelineDefinition {
  return {
    key: uid('auto'),
    name: 'Contract review',
    objectType: uid('contract'),
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    stages: [
      {
        key: 'review',
        name: 'Review',
        type: 'normal',
        initial: true,
        autoAdvance: { to: 'approved' },
        tasks: [
          { key: 'legal', name: 'Legal check', kind: 'edit_fields', fields: ['legalOk'], assignee: { kind: 'owner' }, required: true },
          { key: 'finance', name: 'Finance check', kind: 'edit_fields', fields: ['financeOk'], assignee: { kind: 'owner' }, required: true },
          { key: 'notes', name: 'Notes', kind: 'edit_fields', fields: ['notes'], assignee: { kind: 'owner' }, required: false },
        ],
      },
      { key: 'approved', name: 'Approved', type: 'normal' },
      { key: 'signed', name: 'Signed', type: 'success' },
    ],
  };
}

/** Intake → Install, an interconnection node whose tasks go to the assigned partner company → Done. */
function installPipeline(): PipelineDefinition {
  return {
    key: uid('ic'),
    name: 'Partner installs',
    objectType: uid('order'),
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    interconnection: { enabled: true, partnerCompanyField: 'partnerCompanyId' },
    stages: [
      { key: 'intake', name: 'Intake', type: 'normal', initial: true },
      {
        key: 'install',
        name: 'Install',
        type: 'normal',
        interconnection: true,
        tasks: [
          { key: 'schedule', name: 'Schedule the install', kind: 'edit_fields', fields: ['installDate'], assignee: { kind: 'owner' }, required: true },
          { key: 'handover', name: 'Hand over', kind: 'edit_fields', fields: ['handoverNotes'], assignee: { kind: 'role', role: 'sales' }, required: false },
        ],
      },
      { key: 'done', name: 'Done', type: 'success' },
    ],
  };
}

interface TaskView {
  id: string;
  key: string;
  status: string;
  assignee: { kind: string };
  doneBy?: string;
}

const byKey = (tasks: TaskView[], key: string): TaskView => {
  const task = tasks.find((t) => t.key === key);
  if (!task) throw new Error(`no task ${key} in ${JSON.stringify(tasks)}`);
  return task;
};

describe('stage tasks', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let manager: TestUser;
  const company = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    manager = await seedUser(h, { companyId: company, roles: ['manager'] });
  });
  afterAll(async () => h?.stop());

  async function start(def: PipelineDefinition, recordBody: Record<string, unknown> = { fields: { title: 'Big deal' } }) {
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, def.objectType, recordBody);
    const started = await startInstance(h, sales, def.key, record.id);
    expect(started.status).toBe(201);
    const instanceId = started.body.instanceId as string;
    const [first] = await h.stores.events.forInstance(instanceId);
    // Event ids are "<instance id>:<run chain>:<sequence>"; `chain` is all but the sequence.
    return { record, instanceId, started: started.body, chain: first!.eventId.replace(/:1$/, '') };
  }

  const complete = (user: TestUser, instanceId: string, taskId: string, fields?: Record<string, unknown>) =>
    call(h, 'POST', `${instancePath(instanceId)}/tasks/${encodeURIComponent(taskId)}/complete`, {
      user,
      body: fields === undefined ? {} : { fields },
    });
  const move = (user: TestUser, instanceId: string, body: unknown) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user, body });
  const view = (user: TestUser, instanceId: string) => call(h, 'GET', instancePath(instanceId), { user });

  /** Everything a refused request must leave alone (the open visit's duration grows by itself, so it is left out). */
  async function snapshot(instanceId: string, recordId: string) {
    const state = (await view(sales, instanceId)).body;
    return {
      record: await h.stores.records.get(recordId),
      tasks: await h.stores.tasks.forInstance(instanceId),
      events: await h.stores.events.forInstance(instanceId),
      state: { ...state, history: state.history.map(({ durationMs: _d, ...visit }: { durationMs: number }) => visit) },
    };
  }

  it('When an instance enters a stage, then the stage tasks are created with ids "<eventId>:<taskKey>"', async () => {
    const { record, instanceId, started, chain } = await start(dealPipeline());
    const [startedEvent] = await h.stores.events.forInstance(instanceId);
    expect(startedEvent?.eventId).toMatch(new RegExp(`^${instanceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:[\\w-]{8}:1$`));
    const eventId = startedEvent!.eventId;
    expect(started.tasks.done).toEqual([]);
    expect(started.tasks.open.map((t: TaskView) => [t.id, t.key, t.status])).toEqual([
      [`${eventId}:budget`, 'budget', 'open'],
      [`${eventId}:discount`, 'discount', 'open'],
      [`${eventId}:quote`, 'quote', 'open'],
    ]);
    expect(byKey(started.tasks.open, 'discount').assignee).toEqual({ kind: 'role', role: 'manager' });

    const stored = await h.stores.tasks.forInstance(instanceId);
    expect(stored.map((t) => t.id).sort()).toEqual(started.tasks.open.map((t: TaskView) => t.id).sort());
    expect(stored.find((t) => t.key === 'budget')).toMatchObject({
      instanceId,
      recordId: record.id,
      stage: 'qualify',
      name: 'Record the budget',
      kind: { kind: 'edit_fields', fields: ['budget', 'budgetOwner'] },
      assignee: { kind: 'owner' },
      required: true,
      status: 'open',
    });
    expect(stored.find((t) => t.key === 'quote')?.kind).toEqual({ kind: 'create_record', recordType: 'quotation', linkField: 'quotationId' });

    expect((await complete(sales, instanceId, `${chain}:1:budget`, { budget: 10_000, budgetOwner: 'CFO' })).status).toBe(200);
    const moved = await move(sales, instanceId, { to: 'propose' });
    expect(moved.status).toBe(200);
    expect(moved.body.eventId).toBe(`${chain}:3`);
    expect(byKey(moved.body.tasks.open, 'proposal')).toMatchObject({ id: `${moved.body.eventId}:proposal`, assignee: { kind: 'creator' } });
    expect((await h.stores.tasks.forInstance(instanceId)).find((t) => t.key === 'proposal')).toMatchObject({
      id: `${moved.body.eventId}:proposal`,
      stage: 'propose',
      status: 'open',
    });
  });

  it('When an edit_fields task is completed, then it needs its fields, writes them to the record and is done once', async () => {
    const { record, instanceId, chain } = await start(dealPipeline());
    const taskId = `${chain}:1:budget`;
    const before = await snapshot(instanceId, record.id);

    for (const fields of [undefined, { budget: 10_000 }, { budget: 10_000, budgetOwner: '  ' }]) {
      const refused = await complete(sales, instanceId, taskId, fields);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('missing_fields');
      expect(refused.body.error.message).toMatch(/budgetOwner/);
    }
    expect(await snapshot(instanceId, record.id)).toEqual(before);

    const done = await complete(sales, instanceId, taskId, { budget: 10_000, budgetOwner: 'CFO' });
    expect(done.status).toBe(200);
    expect(done.body.tasks.open.map((t: TaskView) => t.key)).toEqual(['discount', 'quote']);
    expect(byKey(done.body.tasks.done, 'budget')).toMatchObject({ id: taskId, status: 'done', doneBy: sales.actor.userId });
    expect(done.body.record.fields).toMatchObject({ budget: 10_000, budgetOwner: 'CFO', stage: 'qualify' });

    const stored = await h.stores.records.get(record.id);
    expect(stored?.fields).toMatchObject({ title: 'Big deal', budget: 10_000, budgetOwner: 'CFO', stage: 'qualify' });
    expect(stored?.version).toBe(before.record!.version + 1);
    const task = (await h.stores.tasks.forInstance(instanceId)).find((t) => t.id === taskId);
    expect(task).toMatchObject({ status: 'done', doneBy: sales.actor.userId });
    expect(Date.parse(String(task?.doneAt))).toBeGreaterThanOrEqual(Date.parse(String(task?.createdAt)));
    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => e.kind)).toEqual(['started', 'task_completed']);
    expect(events[1]).toMatchObject({ actor: { userId: sales.actor.userId }, details: { taskId, taskKey: 'budget' } });

    const again = await complete(sales, instanceId, taskId, { budget: 1, budgetOwner: 'CEO' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('task_done');
    const unknown = await complete(sales, instanceId, `${chain}:1:nope`, {});
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe('unknown_task');
    expect((await h.stores.records.get(record.id))?.fields).toMatchObject({ budget: 10_000, budgetOwner: 'CFO' });
    expect(await h.stores.events.forInstance(instanceId)).toHaveLength(2);
  });

  it('When someone other than the assignee completes a task, then 409 not_allowed and nothing changes', async () => {
    const { record, instanceId, chain } = await start(dealPipeline());
    const taskId = `${chain}:1:discount`;
    const before = await snapshot(instanceId, record.id);

    const refused = await complete(sales, instanceId, taskId, { discount: 15 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_allowed');
    expect(await snapshot(instanceId, record.id)).toEqual(before);

    const done = await complete(manager, instanceId, taskId, { discount: 15 });
    expect(done.status).toBe(200);
    expect(byKey(done.body.tasks.done, 'discount').doneBy).toBe(manager.actor.userId);
    expect((await h.stores.records.get(record.id))?.fields.discount).toBe(15);
  });

  it('When a task completion carries fields the task does not name, then 409 and nothing changes', async () => {
    const { record, instanceId, chain } = await start(dealPipeline());
    const taskId = `${chain}:1:budget`;
    const before = await snapshot(instanceId, record.id);

    for (const extra of [{ stage: 'won' }, { amount: 1 }]) {
      const refused = await complete(sales, instanceId, taskId, { budget: 10_000, budgetOwner: 'CFO', ...extra });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('unexpected_fields');
      expect(refused.body.error.message).toMatch(new RegExp(Object.keys(extra)[0]!));
    }
    expect(await snapshot(instanceId, record.id)).toEqual(before);
  });

  it('When a create_record task gets the id of an existing record in its link field, then it is done and the record links to it', async () => {
    const { record, instanceId, chain } = await start(dealPipeline());
    const taskId = `${chain}:1:quote`;
    const quotation = await createRecord(h, sales, 'quotation', { fields: { total: 9_500 } });

    const unlinked = await complete(sales, instanceId, taskId, {});
    expect(unlinked.status).toBe(409);
    expect(unlinked.body.error.code).toBe('missing_fields');
    expect(unlinked.body.error.message).toMatch(/quotationId/);

    const done = await complete(sales, instanceId, taskId, { quotationId: quotation.id });
    expect(done.status).toBe(200);
    expect(byKey(done.body.tasks.done, 'quote')).toMatchObject({ status: 'done', doneBy: sales.actor.userId });
    expect((await h.stores.records.get(record.id))?.fields.quotationId).toBe(quotation.id);
    expect((await h.stores.tasks.forInstance(instanceId)).find((t) => t.id === taskId)?.status).toBe('done');
  });

  it('When a stage requires a task that is still open, then the move is refused with 409 missing_tasks until it is done', async () => {
    const { record, instanceId, chain } = await start(dealPipeline());
    const refused = await move(sales, instanceId, { to: 'propose' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('missing_tasks');
    expect(refused.body.error.message).toMatch(/budget/);
    expect((await view(sales, instanceId)).body.stage.key).toBe('qualify');
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('qualify');

    // Other tasks of the stage do not count.
    const quotation = await createRecord(h, sales, 'quotation', { fields: {} });
    expect((await complete(sales, instanceId, `${chain}:1:quote`, { quotationId: quotation.id })).status).toBe(200);
    expect((await move(sales, instanceId, { to: 'propose' })).body.error.code).toBe('missing_tasks');

    expect((await complete(sales, instanceId, `${chain}:1:budget`, { budget: 5, budgetOwner: 'CFO' })).status).toBe(200);
    const moved = await move(sales, instanceId, { to: 'propose' });
    expect(moved.status).toBe(200);
    expect(moved.body.stage.key).toBe('propose');
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('propose');
  });

  it('When the required tasks of an auto-advancing stage are all done, then the instance moves on by itself as the system', async () => {
    const { record, instanceId, chain } = await start(reviewPipeline(), { fields: { title: 'MSA' } });
    const first = await complete(sales, instanceId, `${chain}:1:legal`, { legalOk: true });
    expect(first.status).toBe(200);
    expect(first.body.stage.key).toBe('review');

    const second = await complete(sales, instanceId, `${chain}:1:finance`, { financeOk: true });
    expect(second.status).toBe(200);
    const advanced = await eventually(async () => {
      const body = (await view(sales, instanceId)).body;
      return body.stage.key === 'approved' && body;
    }, 20_000);
    expect(advanced).toMatchObject({ status: 'running', stage: { key: 'approved', name: 'Approved' } });
    expect(advanced.tasks.open.map((t: TaskView) => t.key)).toEqual(['notes']);

    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => e.kind)).toEqual(['started', 'task_completed', 'task_completed', 'auto_advanced']);
    expect(events[3]).toMatchObject({ from: 'review', to: 'approved', actor: { kind: 'system', userId: 'system' } });
    expect(await h.stores.records.get(record.id)).toMatchObject({ fields: { stage: 'approved', legalOk: true, financeOk: true } });
    expect((await h.stores.instances.get(instanceId))?.stage).toBe('approved');
  });

  describe('create_record tasks', () => {
    let partner: TestUser;
    let stranger: TestUser;

    beforeAll(async () => {
      partner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
      stranger = await seedUser(h, { roles: ['sales'] });
    });

    /** The deal pipeline, its quote task creating records of `recordType`. */
    function quoting(recordType = 'quotation'): PipelineDefinition {
      const def = dealPipeline();
      return {
        ...def,
        stages: def.stages.map((stage) => ({
          ...stage,
          tasks: stage.tasks?.map((task) => (task.key === 'quote' && task.kind === 'create_record' ? { ...task, recordType } : task)),
        })),
      };
    }

    async function startDeal(recordType?: string) {
      const def = quoting(recordType);
      // A contact of the same company: a record links only its own company's records.
      const contactId = (await createRecord(h, sales, 'contact', { fields: { name: 'Jo Contact' } })).id;
      const started = await start(def, { fields: { title: 'Big deal', amount: 12_000 }, partnerCompanyId: partner.actor.companyId, contactId });
      return { ...started, def, contactId, taskId: `${started.chain}:1:quote`, backLink: `${def.objectType}Id` };
    }

    const completeWith = (user: TestUser, instanceId: string, taskId: string, body: unknown, headers?: Record<string, string>) =>
      call(h, 'POST', `${instancePath(instanceId)}/tasks/${encodeURIComponent(taskId)}/complete`, { user, body, headers });

    /** Records that name `sourceId` as where they came from. */
    const createdFrom = (backLink: string, sourceId: string) =>
      h.db.collection(COLLECTIONS.records).find({ [`fields.${backLink}`]: sourceId }).toArray();

    it('When a create_record task is completed with a record, then the step creates it like its source, links it both ways and the task is done', async () => {
      const { record, instanceId, taskId, contactId, backLink } = await startDeal();

      const done = await completeWith(sales, instanceId, taskId, { record: { fields: { total: 9_500, currency: 'EUR' } } });
      expect(done.status).toBe(200);
      const quotationId = done.body.record.fields.quotationId as string;
      expect(quotationId).toMatch(/^quo_[\w-]{12}$/);
      expect(byKey(done.body.tasks.done, 'quote')).toMatchObject({ id: taskId, status: 'done', doneBy: sales.actor.userId });

      expect(await h.stores.records.get(quotationId)).toMatchObject({
        id: quotationId,
        type: 'quotation',
        companyId: company,
        ownerId: sales.actor.userId,
        creatorId: sales.actor.userId,
        partnerCompanyId: partner.actor.companyId,
        contactId,
        archived: false,
        version: 1,
        fields: { total: 9_500, currency: 'EUR', [backLink]: record.id },
      });
      expect((await h.stores.records.get(record.id))?.fields).toMatchObject({ title: 'Big deal', quotationId });
      expect((await h.stores.tasks.get(taskId))?.status).toBe('done');
      const state = (await view(sales, instanceId)).body;
      expect(state.record.fields.quotationId).toBe(quotationId);
      expect(byKey(state.tasks.done, 'quote').status).toBe('done');

      const events = await h.stores.events.forInstance(instanceId);
      expect(events.map((e) => e.kind)).toEqual(['started', 'task_completed']);
      expect(events[1]).toMatchObject({
        actor: { userId: sales.actor.userId },
        details: { taskId, taskKey: 'quote', createdRecord: { id: quotationId, type: 'quotation' } },
      });
    });

    it("When the created record's type has a pipeline that starts on create, then the new record runs it, its filter reading the back link", async () => {
      const quoteType = uid('quote');
      const quotes = testPipeline('Quotes', quoteType, [
        { key: 'draft', name: 'Draft', type: 'normal', initial: true },
        { key: 'sent', name: 'Sent', type: 'normal' },
      ], { stageField: 'phase', trigger: { onCreate: true, manual: true, reinitiate: false } });
      const { record, instanceId, taskId, def } = await startDeal(quoteType);
      await publishPipeline(h, admin, { ...quotes, filter: { op: 'eq', path: `${def.objectType}.title`, value: 'Big deal' } });

      // Its fields are checked as a record create checks them: the stage field follows the new record's pipeline.
      const before = await snapshot(instanceId, record.id);
      const refused = await completeWith(sales, instanceId, taskId, { record: { fields: { phase: 'sent' } } });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'stage_field', details: { fields: ['phase'] } });
      expect(await snapshot(instanceId, record.id)).toEqual(before);

      const done = await completeWith(sales, instanceId, taskId, { record: { fields: { total: 1 } } });
      expect(done.status).toBe(200);
      const quoteId = done.body.record.fields.quotationId as string;
      const quoteInstance = recordInstanceId(company, quotes.key, quoteType, quoteId);
      const running = await eventually(async () => {
        const res = await view(sales, quoteInstance);
        return res.status === 200 && res.body;
      });
      expect(running).toMatchObject({ instanceId: quoteInstance, status: 'running', stage: { key: 'draft' }, record: { id: quoteId, type: quoteType } });
      expect(await h.stores.records.get(quoteId)).toMatchObject({ type: quoteType, fields: { total: 1, phase: 'draft' } });
      expect((await h.stores.events.forInstance(quoteInstance)).map((e) => e.kind)).toEqual(['started']);
    });

    it('When a completion with a record is sent twice at once with the same Idempotency-Key, then exactly one record is created and the retry gets the first answer', async () => {
      const { record, instanceId, taskId, backLink } = await startDeal();
      const body = { record: { fields: { total: 700 } } };
      const headers = { 'idempotency-key': uid('retry') };

      const [one, other] = await Promise.all([
        completeWith(sales, instanceId, taskId, body, headers),
        completeWith(sales, instanceId, taskId, body, headers),
      ]);
      // Sent at once: one runs; the other is its replay or, while the first still runs, told to come back.
      const [first, second] = one.status === 200 ? [one, other] : [other, one];
      expect(first.status).toBe(200);
      if (second.status === 200) expect(second.body.eventId).toBe(first.body.eventId);
      else expect(second.body.error.code).toBe('idempotency_in_progress');
      const again = await completeWith(sales, instanceId, taskId, body, headers);
      expect(again.status).toBe(200);
      expect(again.body.eventId).toBe(first.body.eventId);

      const created = await createdFrom(backLink, record.id);
      expect(created.map((r) => r._id)).toEqual([first.body.record.fields.quotationId]);
      expect((await h.stores.records.get(record.id))?.fields.quotationId).toBe(created[0]?._id);
      expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'task_completed']);
    });

    it('When a create_record task links an existing record of its type that the caller sees, then it is done and creates none', async () => {
      const { record, instanceId, taskId, backLink } = await startDeal();
      const quotation = await createRecord(h, sales, 'quotation', { fields: { total: 9_500 } });

      const done = await completeWith(sales, instanceId, taskId, { fields: { quotationId: quotation.id } });
      expect(done.status).toBe(200);
      expect(byKey(done.body.tasks.done, 'quote').status).toBe('done');
      expect((await h.stores.records.get(record.id))?.fields.quotationId).toBe(quotation.id);
      expect(await createdFrom(backLink, record.id)).toEqual([]);
    });

    it.each([
      ['a made-up id', 'linked_record_not_found'],
      ['the id of a record of another type', 'wrong_record_type'],
      ["the id of another company's quotation", 'linked_record_not_found'],
    ])('When a create_record task links %s, then 422 %s and nothing changes', async (what, code) => {
      const { record, instanceId, taskId } = await startDeal();
      const linkedId =
        what === 'a made-up id'
          ? uid('quo')
          : what.includes('another type')
            ? (await createRecord(h, sales, 'contract', { fields: {} })).id
            : (await createRecord(h, stranger, 'quotation', { fields: { total: 1 } })).id;
      const before = await snapshot(instanceId, record.id);

      const refused = await completeWith(sales, instanceId, taskId, { fields: { quotationId: linkedId } });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code, details: { field: 'quotationId', id: linkedId } });
      // A record the caller may not see answers as one that does not exist.
      if (code === 'linked_record_not_found') expect(refused.body.error.message).toBe(`there is no quotation ${linkedId} that you can see`);
      expect(await snapshot(instanceId, record.id)).toEqual(before);
      expect(before.record?.fields.quotationId).toBeUndefined();
      expect(before.tasks.find((t) => t.id === taskId)?.status).toBe('open');
    });

    it('When the record already holds a made-up link, then completing the task without one is refused with 422 too', async () => {
      const { record, instanceId, taskId, def } = await startDeal();
      // The API no longer lets a made-up link in; a record written before links were checked may still hold one.
      const patched = await call(h, 'PATCH', `/v1/records/${def.objectType}/${record.id}`, { user: sales, body: { fields: { quotationId: 'quo_nowhere' } } });
      expect(patched.status).toBe(422);
      await h.db.collection(COLLECTIONS.records).updateOne({ _id: record.id as never }, { $set: { 'fields.quotationId': 'quo_nowhere' } });
      const before = await snapshot(instanceId, record.id);

      const refused = await completeWith(sales, instanceId, taskId, {});
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('linked_record_not_found');
      expect(await snapshot(instanceId, record.id)).toEqual(before);
    });

    it('When a completion body is malformed or does not fit the task, then it is refused with its reason and nothing changes', async () => {
      const { record, instanceId, taskId, chain, backLink } = await startDeal();
      const quotation = await createRecord(h, sales, 'quotation', { fields: {} });
      const before = await snapshot(instanceId, record.id);

      const cases: Array<[unknown, number, string, RegExp]> = [
        [{ record: { fields: { total: 1 } }, fields: { quotationId: quotation.id } }, 400, 'invalid_request', /either fields.<linkField>.*or record/],
        [{ record: { fields: {}, ownerId: sales.actor.userId } }, 400, 'invalid_request', /ownerId/],
        [{ record: { fields: { 'a.b': 1 } } }, 400, 'invalid_request', /Invalid key in record/],
        [{ record: { fields: { nested: { $gt: 1 } } } }, 400, 'invalid_request', /record/],
        [{ record: 'quotation' }, 400, 'invalid_request', /record/],
        [{ create: true }, 400, 'invalid_request', /create/],
      ];
      for (const [body, status, code, reason] of cases) {
        const refused = await completeWith(sales, instanceId, taskId, body);
        expect([body, refused.status, refused.body.error.code]).toEqual([body, status, code]);
        expect(JSON.stringify(refused.body.error)).toMatch(reason);
      }

      const onEditTask = await completeWith(sales, instanceId, `${chain}:1:budget`, { record: { fields: { budget: 1 } } });
      expect(onEditTask.status).toBe(422);
      expect(onEditTask.body.error).toMatchObject({ code: 'not_a_create_record_task', message: expect.stringMatching(/creates no record/) });
      const byOther = await completeWith(manager, instanceId, taskId, { record: { fields: {} } });
      expect(byOther.status).toBe(409);
      expect(byOther.body.error.code).toBe('not_allowed');

      expect(await snapshot(instanceId, record.id)).toEqual(before);
      expect(await createdFrom(backLink, record.id)).toEqual([]);
    });
  });

  describe('interconnection', () => {
    let partner: TestUser;
    let otherPartner: TestUser;

    beforeAll(async () => {
      partner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
      otherPartner = await seedUser(h, { companyKind: 'partner', roles: ['partner_admin'] });
    });

    async function startInstall() {
      const started = await start(installPipeline(), { fields: { title: 'Install at ACME' }, partnerCompanyId: partner.actor.companyId });
      const moved = await move(sales, started.instanceId, { to: 'install' });
      expect(moved.status).toBe(200);
      return { ...started, moved: moved.body, eventId: moved.body.eventId as string };
    }

    it('When an instance enters an interconnection stage, then its tasks go to the partner company, whose users see the instance', async () => {
      const { instanceId, moved, eventId } = await startInstall();
      expect(moved.tasks.open.map((t: TaskView) => [t.id, t.assignee])).toEqual([
        [`${eventId}:schedule`, { kind: 'partner_company' }],
        [`${eventId}:handover`, { kind: 'partner_company' }],
      ]);
      const stored = await h.stores.tasks.forInstance(instanceId);
      expect(stored.map((t) => t.assignee)).toEqual([{ kind: 'partner_company' }, { kind: 'partner_company' }]);

      const seen = await view(partner, instanceId);
      expect(seen.status).toBe(200);
      expect(seen.body.tasks.open).toHaveLength(2);
      expect((await view(otherPartner, instanceId)).status).toBe(404);
    });

    it('When a partner user completes an interconnection task, then it is done; the owning company sales user is refused', async () => {
      const { record, instanceId, eventId } = await startInstall();
      const taskId = `${eventId}:schedule`;
      const before = await snapshot(instanceId, record.id);

      const bySales = await complete(sales, instanceId, taskId, { installDate: '2030-01-15' });
      expect(bySales.status).toBe(409);
      expect(bySales.body.error.code).toBe('not_allowed');
      const byOtherPartner = await complete(otherPartner, instanceId, taskId, { installDate: '2030-01-15' });
      expect(byOtherPartner.status).toBe(404);
      expect(await snapshot(instanceId, record.id)).toEqual(before);

      const byPartner = await complete(partner, instanceId, taskId, { installDate: '2030-01-15' });
      expect(byPartner.status).toBe(200);
      expect(byKey(byPartner.body.tasks.done, 'schedule').doneBy).toBe(partner.actor.userId);
      expect((await h.stores.records.get(record.id))?.fields.installDate).toBe('2030-01-15');
      expect((await h.stores.tasks.forInstance(instanceId)).find((t) => t.id === taskId)).toMatchObject({ status: 'done', doneBy: partner.actor.userId });
      const last = (await h.stores.events.forInstance(instanceId)).at(-1);
      expect(last).toMatchObject({ kind: 'task_completed', actor: { userId: partner.actor.userId, companyId: partner.actor.companyId } });
    });

    it('When an admin of the owning company completes an interconnection task, then it is accepted', async () => {
      const { record, instanceId, eventId } = await startInstall();
      const done = await complete(admin, instanceId, `${eventId}:handover`, { handoverNotes: 'keys at reception' });
      expect(done.status).toBe(200);
      expect(byKey(done.body.tasks.done, 'handover').doneBy).toBe(admin.actor.userId);
      expect((await h.stores.records.get(record.id))?.fields.handoverNotes).toBe('keys at reception');
    });
  });
});
