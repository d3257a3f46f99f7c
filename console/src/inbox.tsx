import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Client, Schemas } from '../../api/client';
import type { Guard } from './app';
import { countdown, textOf, valueOf } from './format';
import { allPages, messageOf, usePoll } from './poll';
import { dataOf } from './session';

type Me = Schemas['Me'];
type Lead = Schemas['Record'];
type Listed = Schemas['InstanceListItem'];
type Moves = Array<{ key: string; name: string }>;

/** The partner program's moves (workflows/domain/templates/partner-lead.ts), as the inbox's buttons. */
const ACTION_OF: { [move: string]: Action } = { accepted: 'accept', declined: 'decline', closed_converted: 'convert', closed_not_converted: 'close' };
type Action = 'accept' | 'decline' | 'convert' | 'close';
const ACTION_LABEL: { [a in Action]: string } = { accept: 'Accept', decline: 'Decline…', convert: 'Convert…', close: 'Close…' };

/** Fields the inbox shows in its own places, not in the list of fields. */
const SHOWN_APART = new Set(['title', 'status', 'expiresAt']);

/** The partner inbox: the leads sent to the caller's company, grouped by owner company, polled every second. */
export function Inbox({ api, guard, me }: { api: Client; guard: Guard; me: Me }) {
  const [leads, setLeads] = useState<Lead[] | null>(null);
  const [instances, setInstances] = useState<Map<string, Listed>>(new Map());
  const [owners, setOwners] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [tick, setTick] = useState(0);
  const partnerId = me.company.id;

  useEffect(() => {
    let live = true;
    allPages((cursor) => api.get('/v1/companies', { query: { limit: 100, ...(cursor && { cursor }) } }).then(dataOf))
      .then((all) => live && setOwners(new Map(all.map((c) => [c.id, c.name]))))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api]);

  // The poll: every lead sent to this company, and the program instances they run in.
  usePoll(
    async (live) => {
      const [records, listed] = await Promise.all([
        allPages((cursor) => api.get('/v1/records/{type}', { params: { type: 'lead' }, query: { limit: 100, partnerCompanyId: partnerId, ...(cursor && { cursor }) } }).then(dataOf)),
        allPages((cursor) =>
          api
            .get('/v1/instances', { query: { shape: 'instance', limit: 100, partnerCompanyId: partnerId, ...(cursor && { cursor }) } })
            .then((a) => dataOf(a) as Schemas['InstancePage']),
        ),
      ]);
      if (!live()) return;
      // A lead's instance: its running one, else its latest.
      const byLead = new Map<string, Listed>();
      for (const i of listed) {
        if (i.record.type !== 'lead' || i.status === 'cancelled') continue;
        const had = byLead.get(i.record.id);
        if (!had || (had.status !== 'running' && (i.status === 'running' || i.updatedAt > had.updatedAt))) byLead.set(i.record.id, i);
      }
      setLeads(records.filter((r) => r.partnerCompanyId === partnerId));
      setInstances(byLead);
      setError(null);
    },
    { guard, failed: setError, ended: () => setNow(Date.now()) },
    [api, guard, partnerId, tick],
  );

  if (!leads) return <p class="loading">Loading your leads…</p>;
  const groups = new Map<string, Lead[]>();
  for (const l of leads) groups.set(l.companyId, [...(groups.get(l.companyId) ?? []), l]);
  const ownerName = (id: string) => owners.get(id) ?? id;
  const sorted = [...groups.entries()].sort(([a], [b]) => ownerName(a).localeCompare(ownerName(b)));

  return (
    <main class="inbox" aria-labelledby="inbox-title">
      <h1 id="inbox-title">Lead inbox</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {sorted.length === 0 && <p class="note">No lead has been sent to {me.company.name} yet.</p>}
      {sorted.map(([ownerId, list]) => (
        <section class="owner-group" key={ownerId} data-owner={ownerId} aria-labelledby={`owner-${ownerId}`}>
          <h2 id={`owner-${ownerId}`}>From {ownerName(ownerId)}</h2>
          <ul class="leads">
            {list
              .slice()
              .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
              .map((l) => (
                <LeadItem key={l.id} api={api} guard={guard} lead={l} instance={instances.get(l.id)} now={now} onChanged={() => setTick((t) => t + 1)} />
              ))}
          </ul>
        </section>
      ))}
    </main>
  );
}

interface LeadProps {
  api: Client;
  guard: Guard;
  lead: Lead;
  instance: Listed | undefined;
  now: number;
  onChanged: () => void;
}

/** One lead: title, stage, countdown, its visible fields as text, and the buttons its stage's allowedMoves give. */
function LeadItem({ api, guard, lead: polled, instance, now, onChanged }: LeadProps) {
  const [fresh, setFresh] = useState<Lead | null>(null);
  const [moves, setMoves] = useState<Moves | null>(null);
  const [form, setForm] = useState<Action | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A lead re-read after an action wins over the poll's copy until the poll catches up with it.
  const lead = fresh && fresh.version > polled.version ? fresh : polled;
  const title = textOf(lead.fields.title) || lead.id;
  const movesOf = instance && instance.status === 'running' ? `${instance.id}@${instance.updatedAt}` : '';
  const asked = useRef('');

  const fail = (err: unknown) => {
    try {
      guard(err);
    } catch {
      setMessage(messageOf(err));
    }
  };

  // allowedMoves, read again whenever the instance changes.
  useEffect(() => {
    if (!movesOf || !instance) {
      setMoves([]);
      return;
    }
    asked.current = movesOf;
    api
      .get('/v1/instances/{id}', { params: { id: instance.id } })
      .then(dataOf)
      .then((d) => asked.current === movesOf && setMoves(d.allowedMoves))
      .catch(fail);
  }, [api, movesOf]);

  useEffect(() => {
    if (form && !moves?.some((m) => ACTION_OF[m.key] === form)) setForm(null);
  }, [moves, form]);

  const act = async (action: Action, body: object) => {
    setBusy(true);
    setMessage(null);
    try {
      const path = `/v1/leads/{id}/${action}` as '/v1/leads/{id}/accept';
      dataOf(await api.post(path, { params: { id: lead.id }, body: body as never }));
      setForm(null);
      // Re-read the lead: accepting makes its private fields visible.
      setFresh(dataOf(await api.get('/v1/records/{type}/{id}', { params: { type: 'lead', id: lead.id } })));
      onChanged();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const actions = (moves ?? []).flatMap((m) => (ACTION_OF[m.key] ? [ACTION_OF[m.key]!] : []));
  const deadline = instance?.status === 'running' ? instance.deadline : null;
  const expiresAt = deadline?.at ?? (instance?.status === 'running' && typeof lead.fields.expiresAt === 'string' ? lead.fields.expiresAt : undefined);
  const fields = Object.entries(lead.fields).filter(([k, v]) => !SHOWN_APART.has(k) && v !== null && v !== undefined && v !== '');
  const headingId = `lead-${lead.id}`;

  return (
    <li class="lead" data-testid="lead" data-lead={lead.id} data-stage={instance?.stage.key ?? ''} aria-labelledby={headingId}>
      <h3 class="title" id={headingId}>
        {instance ? (
          <a href={`/console/instances/${encodeURIComponent(instance.instanceId)}`}>{title}</a>
        ) : (
          title
        )}
      </h3>
      <dl class="facts">
        <dt>Stage</dt>
        <dd data-testid="lead-stage">{instance?.stage.name ?? (textOf(lead.fields.status) || 'Not in a program')}</dd>
        {expiresAt && (
          <>
            <dt>Deadline</dt>
            <dd data-testid="lead-countdown">
              <time dateTime={expiresAt} title={new Date(expiresAt).toLocaleString()}>
                {countdown(expiresAt, now)}
              </time>
              {deadline && ` → ${deadline.toName}`}
            </dd>
          </>
        )}
        {fields.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd data-field={k}>{textOf(v)}</dd>
          </Fragment>
        ))}
      </dl>
      {actions.length > 0 && (
        <div class="actions" data-testid="lead-actions" role="group" aria-label={`Actions on ${title}`}>
          {actions.map((a) =>
            a === 'accept' ? (
              <button key={a} type="button" class="primary" disabled={busy} onClick={() => void act('accept', {})}>
                Accept
              </button>
            ) : (
              <button key={a} type="button" disabled={busy} aria-expanded={form === a} onClick={() => setForm(form === a ? null : a)}>
                {ACTION_LABEL[a]}
              </button>
            ),
          )}
        </div>
      )}
      {(form === 'decline' || form === 'close') && (
        <ReasonForm
          verb={form === 'decline' ? 'Decline' : 'Close as not converted'}
          title={title}
          busy={busy}
          onCancel={() => setForm(null)}
          onSend={(reason) => void act(form, { reason })}
        />
      )}
      {form === 'convert' && <ConvertForm title={title} busy={busy} onCancel={() => setForm(null)} onSend={(body) => void act('convert', body)} />}
      {message && (
        <p class="error" role="alert" data-testid="lead-error">
          {message}
        </p>
      )}
    </li>
  );
}

/** A reason, which the API requires: the form sends what was typed and shows the API's refusal. */
function ReasonForm({ verb, title, busy, onCancel, onSend }: { verb: string; title: string; busy: boolean; onCancel: () => void; onSend: (reason: string) => void }) {
  const [reason, setReason] = useState('');
  const first = useRef<HTMLTextAreaElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <form
      class="move-form"
      aria-label={`${verb} ${title}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSend(reason);
      }}
    >
      <label>
        Reason (required)
        <textarea ref={first} name="reason" aria-required="true" maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {verb}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Convert: a new opportunity from the lead (with a few of its fields), or an existing one linked by id. */
function ConvertForm({ title, busy, onCancel, onSend }: { title: string; busy: boolean; onCancel: () => void; onSend: (body: object) => void }) {
  const [mode, setMode] = useState<'new' | 'link'>('new');
  const [amount, setAmount] = useState('');
  const [name, setName] = useState('');
  const [opportunityId, setOpportunityId] = useState('');
  return (
    <form
      class="move-form"
      aria-label={`Convert ${title}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (mode === 'link') onSend({ opportunityId: opportunityId.trim() });
        else {
          const fields: { [k: string]: string | number } = {};
          if (amount.trim()) fields.amount = valueOf(amount);
          if (name.trim()) fields.title = name.trim();
          onSend({ opportunity: { fields } });
        }
      }}
    >
      <fieldset class="choice">
        <legend>Convert to</legend>
        <label class="inline">
          <input type="radio" name="mode" value="new" checked={mode === 'new'} onChange={() => setMode('new')} /> a new opportunity
        </label>
        <label class="inline">
          <input type="radio" name="mode" value="link" checked={mode === 'link'} onChange={() => setMode('link')} /> an existing opportunity
        </label>
      </fieldset>
      {mode === 'new' ? (
        <>
          <label>
            Opportunity title (optional: the lead's title)
            <input name="title" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Amount
            <input name="amount" inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
          </label>
        </>
      ) : (
        <label>
          Opportunity id
          <input name="opportunityId" required spellcheck={false} value={opportunityId} onInput={(e) => setOpportunityId(e.currentTarget.value)} />
        </label>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Convert
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
