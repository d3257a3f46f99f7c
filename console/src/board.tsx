import { useEffect, useRef, useState } from 'preact/hooks';
import type { Client, Schemas } from '../../api/client';
import type { Guard } from './app';
import { Card } from './card';
import { money, textOf } from './format';
import { allPages, usePoll } from './poll';
import { dataOf } from './session';

type Pipeline = Schemas['PipelineSummary'];
type Version = Schemas['PipelineVersion'];
type Figures = Schemas['Board'];
type Listed = Schemas['InstanceListItem'];
type Record = Schemas['Record'];

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
  usePoll(
    async (live) => {
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
      if (!live()) return;
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
    },
    { guard, failed: setError, ended: () => setNow(Date.now()) },
    // A new round of the loop starts when the pipeline, the filters or a move asks for it.
    [api, guard, pipeline.key, pipeline.objectType, filters.owner, filters.partner, tick],
  );

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
