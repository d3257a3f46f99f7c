import { useEffect, useRef, useState } from 'preact/hooks';
import type { Client, Schemas } from '../../api/client';
import { parseDuration } from '../../workflows/domain/duration';
import type { Guard } from './app';
import { countdown, span, textOf, valueOf } from './format';
import { BASE, webUiHref } from './paths';
import { followLink } from './route';
import { allPages, messageOf, usePoll } from './poll';
import { dataOf } from './session';

type Detail = Schemas['Instance'];
type Task = Schemas['Task'];
type AuditEvent = Schemas['AuditEvent'];
type Version = Schemas['PipelineVersion'];
type WebUi = Schemas['Me']['temporalWebUi'];

const when = (iso: string) => new Date(iso).toLocaleString();

/**
 * An instance's page: the record's fields (as the API shows them to this caller), the stage path with
 * the time in each stage, the open tasks with their forms, the deadline and its reminders, the audit
 * trail and the workflow id Temporal knows it by. Polled, so a change made elsewhere shows within 2 s.
 */
export function InstancePage({ api, guard, instanceId, webUi }: { api: Client; guard: Guard; instanceId: string; webUi: WebUi }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [version, setVersion] = useState<Version | null>(null);
  const [users, setUsers] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [tick, setTick] = useState(0);
  const versionRef = useRef<Version | null>(null);

  useEffect(() => {
    let live = true;
    allPages((cursor) => api.get('/v1/users', { query: { limit: 100, ...(cursor && { cursor }) } }).then(dataOf))
      .then((u) => live && setUsers(new Map(u.map((x) => [x.id, x.name]))))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api]);

  usePoll(
    async (live) => {
      const [d, trail] = await Promise.all([
        api.get('/v1/instances/{id}', { params: { id: instanceId } }).then(dataOf),
        allPages((cursor) => api.get('/v1/instances/{id}/events', { params: { id: instanceId }, query: { limit: 100, ...(cursor && { cursor }) } }).then(dataOf)),
      ]);
      const v =
        versionRef.current?.key === d.pipeline.key && versionRef.current.version === d.pipeline.version
          ? versionRef.current
          : await api
              .get('/v1/pipelines/{key}/versions/{version}', { params: { key: d.pipeline.key, version: String(d.pipeline.version) } })
              .then(dataOf)
              .catch(() => null); // a partner may not read the definition: the page goes without its reminders
      if (!live()) return;
      versionRef.current = v;
      setVersion(v);
      setDetail(d);
      setEvents(trail);
      setError(null);
    },
    { guard, failed: setError, ended: () => setNow(Date.now()) },
    [api, guard, instanceId, tick],
  );

  const who = (id: string) => (id === 'system' ? 'system' : (users.get(id) ?? id));
  const back = (
    <a href={BASE} onClick={followLink} class="back">
      ← Back
    </a>
  );
  if (!detail) {
    return (
      <main class="instance">
        {back}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p class="loading">Loading the instance…</p>
        )}
      </main>
    );
  }
  const fields = detail.record.fields;
  const title = textOf(fields.title) || detail.record.id;
  const stageDef = version?.stages.find((s) => s.key === detail.stage.key);
  const reminders = detail.deadline
    ? (stageDef?.reminders ?? []).flatMap((r) => {
        const ms = parseDuration(r.before);
        return ms === undefined ? [] : [{ before: r.before, at: new Date(Date.parse(detail.deadline!.at) - ms).toISOString() }];
      })
    : [];
  const fired = events.filter((e) => e.kind === 'deadline_approaching');

  return (
    <main class="instance" aria-labelledby="instance-title">
      {back}
      <h1 id="instance-title" data-testid="instance-title">
        {title}
      </h1>
      <p class="summary">
        <span data-testid="instance-stage">{detail.stage.name}</span> · {detail.pipeline.name} v{detail.pipeline.version} · <span data-testid="instance-status">{detail.status}</span>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}

      <section aria-labelledby="h-fields">
        <h2 id="h-fields">Fields</h2>
        <dl class="facts fields" data-testid="fields">
          {Object.entries(fields).map(([k, v]) => (
            <div key={k} data-field={k}>
              <dt>{k}</dt>
              <dd>{textOf(v)}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section aria-labelledby="h-path">
        <h2 id="h-path">Stage path</h2>
        <ol class="path" data-testid="stage-path">
          {detail.history.map((h, i) => (
            <li key={h.eventId} data-stage={h.stage} aria-current={i === detail.history.length - 1 && !h.leftAt ? 'step' : undefined}>
              <strong>{h.stageName}</strong> <span data-testid="duration">{span(h.durationMs)}</span>
              <span class="note">
                {' '}
                from <time dateTime={h.enteredAt}>{when(h.enteredAt)}</time>, by {who(h.by)}
                {h.reason && <> — {h.reason}</>}
              </span>
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="h-deadline">
        <h2 id="h-deadline">Deadline and reminders</h2>
        {detail.deadline ? (
          <p data-testid="deadline">
            <time dateTime={detail.deadline.at} title={when(detail.deadline.at)}>
              {countdown(detail.deadline.at, now)}
            </time>{' '}
            → {detail.deadline.toName}
          </p>
        ) : (
          <p class="note">No deadline in this stage.</p>
        )}
        {(reminders.length > 0 || fired.length > 0) && (
          <ul class="reminders" data-testid="reminders">
            {reminders.map((r) => (
              <li key={r.before}>
                Reminder {r.before} before: <time dateTime={r.at}>{Date.parse(r.at) <= now ? `sent ${when(r.at)}` : countdown(r.at, now)}</time>
              </li>
            ))}
            {fired.map((e) => (
              <li key={e.eventId}>
                Reminder fired <time dateTime={e.at}>{when(e.at)}</time>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="h-tasks">
        <h2 id="h-tasks">Tasks</h2>
        {detail.tasks.open.length === 0 ? (
          <p class="note">No open task.</p>
        ) : (
          <ul class="tasks" data-testid="open-tasks">
            {detail.tasks.open.map((t) => (
              <TaskItem
                key={t.id}
                api={api}
                guard={guard}
                instanceId={instanceId}
                task={t}
                onDone={(d) => {
                  setDetail(d);
                  setTick((x) => x + 1);
                }}
              />
            ))}
          </ul>
        )}
        {detail.tasks.done.length > 0 && (
          <ul class="tasks done" data-testid="done-tasks" aria-label="Done tasks">
            {detail.tasks.done.map((t) => (
              <li key={t.id} data-task={t.key}>
                ✓ {t.name}
                {t.doneAt && (
                  <span class="note">
                    {' '}
                    done <time dateTime={t.doneAt}>{when(t.doneAt)}</time>
                    {t.doneBy && <> by {who(t.doneBy)}</>}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="h-trail">
        <h2 id="h-trail">Audit trail</h2>
        <div class="scroll">
          <table class="trail" data-testid="trail">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.eventId} data-event={e.eventId}>
                  <td>
                    <time dateTime={e.at}>{when(e.at)}</time>
                  </td>
                  <td>{who(e.actor.userId)}</td>
                  <td>{e.kind.replace(/_/g, ' ')}</td>
                  <td>{e.from ?? ''}</td>
                  <td>{e.to ?? ''}</td>
                  <td>{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="h-run">
        <h2 id="h-run">The run in Temporal</h2>
        <p>
          Workflow id <code data-testid="workflow-id">{detail.instanceId}</code>
        </p>
        {webUi ? (
          <p>
            <a href={webUiHref(webUi, detail.instanceId)} target="_blank" rel="noopener noreferrer" data-testid="web-ui-link">
              Open the run in the Temporal Web UI
            </a>
          </p>
        ) : (
          <p class="note">The API does not say where the Temporal Web UI is (TEMPORAL_UI_URL): search for this id there.</p>
        )}
      </section>
    </main>
  );
}

type Mode = 'link' | 'create';

/** An open task and its Complete button; a form for what the task asks: its fields, or the record it links or creates. */
function TaskItem({ api, guard, instanceId, task, onDone }: { api: Client; guard: Guard; instanceId: string; task: Task; onDone: (d: Detail) => void }) {
  const [values, setValues] = useState<{ [k: string]: string }>({});
  const [mode, setMode] = useState<Mode>('link');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const kind = task.kind;
  const base = `task-${task.key}`;
  const set = (k: string, v: string) => setValues({ ...values, [k]: v });
  const filled = (names: string[]) => Object.fromEntries(names.filter((n) => (values[n] ?? '').trim() !== '').map((n) => [n, valueOf(values[n]!)]));

  const submit = async () => {
    setBusy(true);
    setMessage(null);
    let body: { fields?: { [k: string]: string | number }; record?: { fields: { [k: string]: string | number } } } = {};
    if (kind.kind === 'edit_fields') {
      const f = filled(kind.fields);
      if (Object.keys(f).length) body = { fields: f };
    } else if (mode === 'link') {
      const id = (values[kind.linkField] ?? '').trim();
      if (id) body = { fields: { [kind.linkField]: id } };
    } else {
      body = { record: { fields: filled(['title']) } };
    }
    try {
      onDone(dataOf(await api.post('/v1/instances/{id}/tasks/{taskId}/complete', { params: { id: instanceId, taskId: task.id }, body })));
    } catch (err) {
      try {
        guard(err);
      } catch {
        setMessage(messageOf(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <li class="task" data-task={task.key}>
      <form
        aria-label={`Complete ${task.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h3>
          {task.name}
          {task.required && <span class="note"> (required)</span>}
        </h3>
        {task.description && <p class="note">{task.description}</p>}
        {kind.kind === 'edit_fields' &&
          kind.fields.map((f) => (
            <label key={f}>
              {f}
              <input name={f} aria-required="true" value={values[f] ?? ''} onInput={(e) => set(f, e.currentTarget.value)} />
            </label>
          ))}
        {kind.kind === 'create_record' && (
          <fieldset>
            <legend>The {kind.recordType}</legend>
            <label class="option">
              <input type="radio" name={`${base}-mode`} checked={mode === 'link'} onChange={() => setMode('link')} /> Link an existing {kind.recordType}
            </label>
            <label class="option">
              <input type="radio" name={`${base}-mode`} checked={mode === 'create'} onChange={() => setMode('create')} /> Create a new {kind.recordType}
            </label>
            {mode === 'link' ? (
              <label>
                {kind.recordType} id ({kind.linkField})
                <input name={kind.linkField} aria-required="true" value={values[kind.linkField] ?? ''} onInput={(e) => set(kind.linkField, e.currentTarget.value)} />
              </label>
            ) : (
              <label>
                Title of the new {kind.recordType}
                <input name="title" value={values.title ?? ''} onInput={(e) => set('title', e.currentTarget.value)} />
              </label>
            )}
          </fieldset>
        )}
        <button type="submit" disabled={busy}>
          Complete
        </button>
        {message && (
          <p class="error" role="alert" data-testid="task-error">
            {message}
          </p>
        )}
      </form>
    </li>
  );
}
