import { useEffect, useRef, useState } from 'preact/hooks';
import type { Client, Schemas } from '../../api/client';
import type { Guard } from './app';
import { dataOf, Refused } from './session';

type Pipeline = Schemas['PipelineSummary'];
type Version = Schemas['PipelineVersion'];
type Figures = Schemas['Board'];
type Listed = Schemas['InstanceListItem'];
type Record = Schemas['Record'];
type StageDef = Version['stages'][number];

/** A board shows changes made elsewhere (a move, a deadline that fired) within this. */
export const POLL_MS = 1_000;

const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

const textOf = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** "in 2d 3h", "in 4m 10s", "overdue by 5s": whole units, the two largest. */
export function countdown(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  let s = Math.floor(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  const span = parts.slice(0, 2).join(' ');
  return ms >= 0 ? `in ${span}` : `overdue by ${span}`;
}

async function allPages<T>(page: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

interface Filters {
  owner: string;
  partner: string;
  text: string;
}

/** One board: a column per stage of the published version, a card per instance, polled. */
export function Board({ api, guard, pipeline }: { api: Client; guard: Guard; pipeline: Pipeline }) {
  const [figures, setFigures] = useState<Figures | null>(null);
  const [version, setVersion] = useState<Version | null>(null);
  const [cards, setCards] = useState<Listed[]>([]);
  const [records, setRecords] = useState<Map<string, Record>>(new Map());
  const [names, setNames] = useState<{ users: Map<string, string>; companies: Map<string, string> }>({ users: new Map(), companies: new Map() });
  const [filters, setFilters] = useState<Filters>({ owner: '', partner: '', text: '' });
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [tick, setTick] = useState(0);
  const since = useRef<string | undefined>(undefined);
  const versionRef = useRef<Version | null>(null);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  // Who the ids are: the users and companies the caller may list (ids stay when it may not).
  useEffect(() => {
    let live = true;
    const users = allPages((cursor) => api.get('/v1/users', { query: { limit: 100, ...(cursor && { cursor }) } }).then(dataOf)).catch(() => []);
    const companies = allPages((cursor) => api.get('/v1/companies', { query: { limit: 100, ...(cursor && { cursor }) } }).then(dataOf)).catch(() => []);
    Promise.all([users, companies]).then(([u, c]) => {
      if (live) setNames({ users: new Map(u.map((x) => [x.id, x.name])), companies: new Map(c.map((x) => [x.id, x.name])) });
    });
    return () => {
      live = false;
    };
  }, [api]);

  // The poll: the figures, every instance of the pipeline, and the records changed since the last round.
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async () => {
      const f = filtersRef.current;
      const figs = dataOf(
        await api.get('/v1/pipelines/{key}/board', { params: { key: pipeline.key }, query: { ...(f.owner && { ownerId: f.owner }), ...(f.partner && { partnerCompanyId: f.partner }) } }),
      );
      const [listed, changed, def] = await Promise.all([
        allPages((cursor) =>
          api
            .get('/v1/instances', { query: { pipelineKey: pipeline.key, shape: 'instance', limit: 100, ...(f.partner && { partnerCompanyId: f.partner }), ...(cursor && { cursor }) } })
            .then((a) => dataOf(a) as Schemas['InstancePage']),
        ),
        allPages((cursor) =>
          api
            .get('/v1/records/{type}', { params: { type: pipeline.objectType }, query: { limit: 100, ...(since.current && { updatedAfter: since.current }), ...(cursor && { cursor }) } })
            .then(dataOf),
        ),
        versionRef.current?.version === figs.version ? Promise.resolve(versionRef.current) : api.get('/v1/pipelines/{key}/versions/{version}', { params: { key: pipeline.key, version: String(figs.version) } }).then(dataOf),
      ]);
      if (!live) return;
      if (changed.length) {
        since.current = changed.reduce((m, r) => (r.updatedAt > m ? r.updatedAt : m), since.current ?? '');
        setRecords((old) => {
          const next = new Map(old);
          for (const r of changed) next.set(r.id, r);
          return next;
        });
      }
      versionRef.current = def;
      setVersion(def);
      setFigures(figs);
      setCards(listed.filter((i) => i.status !== 'cancelled'));
      setError(null);
    };
    const loop = () => {
      round()
        .catch((err) => {
          if (!live) return;
          try {
            guard(err);
          } catch {
            setError(err instanceof Error ? err.message : String(err));
          }
        })
        .finally(() => {
          if (live) {
            setNow(Date.now());
            timer = setTimeout(loop, POLL_MS);
          }
        });
    };
    loop();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
    // A new round of the loop starts when the pipeline, the filters or a move asks for it.
  }, [api, guard, pipeline.key, pipeline.objectType, filters.owner, filters.partner, tick]);

  const userName = (id: string) => names.users.get(id) ?? id;
  const companyName = (id: string) => names.companies.get(id) ?? id;
  const titleOf = (c: Listed) => textOf(records.get(c.record.id)?.fields.title) || c.record.id;
  const text = filters.text.trim().toLowerCase();
  const shown = cards.filter((c) => (!filters.owner || c.record.ownerId === filters.owner) && (!text || titleOf(c).toLowerCase().includes(text)));
  const owners = [...new Set(cards.map((c) => c.record.ownerId))];
  const partners = [...new Set(cards.flatMap((c) => (c.record.partnerCompanyId ? [c.record.partnerCompanyId] : [])))];

  return (
    <section class="board-wrap" aria-label={`${pipeline.name} board`}>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Owner
          <select value={filters.owner} onChange={(e) => setFilters({ ...filters, owner: e.currentTarget.value })}>
            <option value="">Everyone</option>
            {owners.map((id) => (
              <option key={id} value={id}>
                {userName(id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Partner
          <select value={filters.partner} onChange={(e) => setFilters({ ...filters, partner: e.currentTarget.value })}>
            <option value="">Any partner</option>
            {partners.map((id) => (
              <option key={id} value={id}>
                {companyName(id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search titles
          <input type="search" value={filters.text} onInput={(e) => setFilters({ ...filters, text: e.currentTarget.value })} />
        </label>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!figures || !version ? (
        <p class="loading">Loading the board…</p>
      ) : (
        <div class="board" data-testid="board">
          {figures.stages.map((stage) => {
            const inStage = shown.filter((c) => c.stage.key === stage.key);
            return (
              <section class="column" key={stage.key} data-stage={stage.key} aria-labelledby={`col-${stage.key}`}>
                <header class="column-head">
                  <h2 id={`col-${stage.key}`}>{stage.name}</h2>
                  <dl class="figures">
                    <dt>Count</dt>
                    <dd data-testid="count">{stage.count}</dd>
                    <dt>Amount</dt>
                    <dd data-testid="amount">{money.format(stage.amount)}</dd>
                    <dt>Weighted{stage.winRate !== null ? ` (${stage.winRate}%)` : ''}</dt>
                    <dd data-testid="weighted">{money.format(stage.weightedAmount)}</dd>
                  </dl>
                </header>
                <ul class="cards">
                  {inStage.map((c) => (
                    <Card
                      key={c.id}
                      api={api}
                      guard={guard}
                      card={c}
                      title={titleOf(c)}
                      record={records.get(c.record.id)}
                      owner={userName(c.record.ownerId)}
                      partner={c.record.partnerCompanyId ? companyName(c.record.partnerCompanyId) : undefined}
                      stages={version.stages}
                      now={now}
                      onMoved={() => setTick((t) => t + 1)}
                    />
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      )}
    </section>
  );
}

interface CardProps {
  api: Client;
  guard: Guard;
  card: Listed;
  title: string;
  record: Record | undefined;
  owner: string;
  partner: string | undefined;
  stages: StageDef[];
  now: number;
  onMoved: () => void;
}

type Moves = Array<{ key: string; name: string }>;

/** A card, with its move menu: only the moves allowedMoves gives, and a form when the target stage asks for fields or a reason. */
function Card({ api, guard, card, title, record, owner, partner, stages, now, onMoved }: CardProps) {
  const [moves, setMoves] = useState<Moves | null>(null);
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<StageDef | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const menuRef = useRef<HTMLUListElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const menuId = `moves-${card.id}`;

  const fail = (err: unknown) => {
    try {
      guard(err);
    } catch {
      setMessage(err instanceof Refused || err instanceof Error ? err.message : String(err));
    }
  };

  useEffect(() => {
    if (open) menuRef.current?.querySelector('button')?.focus();
  }, [open, moves]);

  const openMenu = async () => {
    if (open) {
      setOpen(false);
      return;
    }
    setMessage(null);
    setMoves(null);
    setOpen(true);
    try {
      const detail = dataOf(await api.get('/v1/instances/{id}', { params: { id: card.id } }));
      setMoves(detail.allowedMoves);
    } catch (err) {
      setOpen(false);
      fail(err);
    }
  };

  const send = async (to: string, fields?: { [k: string]: string | number }, reason?: string) => {
    setBusy(true);
    try {
      dataOf(await api.post('/v1/instances/{id}/moves', { params: { id: card.id }, body: { to, ...(fields && Object.keys(fields).length && { fields }), ...(reason && { reason }) } }));
      setTarget(null);
      setMessage(null);
      onMoved();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const choose = (key: string) => {
    setOpen(false);
    toggleRef.current?.focus();
    const stage = stages.find((s) => s.key === key);
    const missing = (stage?.rules?.requiredFields ?? []).filter((f) => record?.fields[f] === undefined || record.fields[f] === null || record.fields[f] === '');
    if (stage && (missing.length || stage.rules?.requireReason)) setTarget(stage);
    else void send(key);
  };

  return (
    <li class="card" data-instance={card.id} data-testid="card">
      <h3 class="title">{title}</h3>
      <dl class="facts">
        <dt>Owner</dt>
        <dd>{owner}</dd>
        {partner && (
          <>
            <dt>Partner</dt>
            <dd>{partner}</dd>
          </>
        )}
        {card.amount !== undefined && (
          <>
            <dt>Amount</dt>
            <dd data-testid="card-amount">{money.format(card.amount)}</dd>
          </>
        )}
        {card.deadline && (
          <>
            <dt>Deadline</dt>
            <dd data-testid="countdown">
              <time dateTime={card.deadline.at} title={new Date(card.deadline.at).toLocaleString()}>
                {countdown(card.deadline.at, now)}
              </time>{' '}
              → {card.deadline.toName}
            </dd>
          </>
        )}
      </dl>
      <div class="actions">
        <button ref={toggleRef} type="button" aria-haspopup="true" aria-expanded={open} aria-controls={menuId} onClick={openMenu} disabled={busy}>
          Move…
        </button>
        {open && (
          <ul
            id={menuId}
            class="menu"
            ref={menuRef}
            aria-label={`Move ${title} to`}
            onKeyDown={(e) => {
              const items = [...(menuRef.current?.querySelectorAll('button') ?? [])];
              const at = items.indexOf(document.activeElement as HTMLButtonElement);
              if (e.key === 'Escape') {
                setOpen(false);
                toggleRef.current?.focus();
              } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                const next = items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
                next?.focus();
              }
            }}
          >
            {moves === null ? (
              <li class="loading">Loading moves…</li>
            ) : moves.length === 0 ? (
              <li class="note">No move is open to you.</li>
            ) : (
              moves.map((m) => (
                <li key={m.key}>
                  <button type="button" data-move={m.key} onClick={() => choose(m.key)}>
                    {m.name}
                  </button>
                </li>
              ))
            )}
          </ul>
        )}
      </div>
      {target && <MoveForm stage={target} record={record} busy={busy} onCancel={() => setTarget(null)} onSend={(fields, reason) => void send(target.key, fields, reason)} />}
      {message && (
        <p class="error" role="alert" data-testid="card-error">
          {message}
        </p>
      )}
    </li>
  );
}

/** A number when the text is one, else the text: required fields come as typed. */
const valueOf = (s: string): string | number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : s);

function MoveForm({ stage, record, busy, onCancel, onSend }: { stage: StageDef; record: Record | undefined; busy: boolean; onCancel: () => void; onSend: (fields: { [k: string]: string | number }, reason?: string) => void }) {
  const wanted = (stage.rules?.requiredFields ?? []).filter((f) => record?.fields[f] === undefined || record.fields[f] === null || record.fields[f] === '');
  const [values, setValues] = useState<{ [k: string]: string }>({});
  const [reason, setReason] = useState('');
  const first = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <form
      class="move-form"
      aria-label={`Move to ${stage.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSend(Object.fromEntries(wanted.map((f) => [f, valueOf(values[f] ?? '')])), stage.rules?.requireReason ? reason.trim() : undefined);
      }}
    >
      <p>Moving to {stage.name} needs:</p>
      {wanted.map((f, i) => (
        <label key={f}>
          {f}
          <input ref={i === 0 ? first : undefined} name={f} required value={values[f] ?? ''} onInput={(e) => setValues({ ...values, [f]: e.currentTarget.value })} />
        </label>
      ))}
      {stage.rules?.requireReason && (
        <label>
          Reason
          <textarea ref={wanted.length === 0 ? first : undefined} name="reason" required maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Move to {stage.name}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
