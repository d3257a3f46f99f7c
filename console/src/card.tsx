import { useEffect, useRef, useState } from 'preact/hooks';
import type { Client, Schemas } from '../../api/client';
import type { Guard } from './app';
import { countdown, money, valueOf } from './format';
import { followLink, instanceHref } from './route';
import { dataOf, Refused } from './session';

type Listed = Schemas['InstanceListItem'];
type Record = Schemas['Record'];
type StageDef = Schemas['PipelineVersion']['stages'][number];

export interface CardProps {
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
export function Card({ api, guard, card, title, record, owner, partner, stages, now, onMoved }: CardProps) {
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
      <h3 class="title">
        <a href={instanceHref(card.instanceId)} onClick={followLink}>
          {title}
        </a>
      </h3>
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
