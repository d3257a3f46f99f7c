import { spawnSync } from 'node:child_process';

/** The PostgreSQL FerretDB uses in the backend scenario (trust auth on the machine's server); the database is created if missing. */
export const DEFAULT_POSTGRESQL_URL = 'postgres://postgres@127.0.0.1:5432/propeller_bench';

function psql(url: URL, database: string, sql: string): { ok: boolean; out: string } {
  const res = spawnSync(
    'psql',
    ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), '-d', database, '-tAc', sql],
    { encoding: 'utf8', timeout: 10_000, env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password), PGCONNECT_TIMEOUT: '5' } },
  );
  return { ok: res.status === 0, out: res.status === 0 ? res.stdout.trim() : (res.stderr || res.error?.message || '').trim() };
}

/**
 * Connects to the server (a real connection, through `psql`), creates the
 * database when it is missing, and answers the server's version; or why not.
 */
export function preparePostgres(urlText: string): { ok: true; version: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return { ok: false, reason: `not a URL: ${urlText}` };
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'propeller_bench';
  const version = psql(url, 'postgres', 'show server_version');
  if (!version.ok) return { ok: false, reason: `PostgreSQL at ${url.host} is unreachable: ${version.out.split('\n')[0]}` };
  const exists = psql(url, 'postgres', `select 1 from pg_database where datname = '${database.replace(/'/g, "''")}'`);
  if (exists.ok && exists.out !== '1') {
    const created = psql(url, 'postgres', `create database "${database.replace(/"/g, '""')}"`);
    if (!created.ok) return { ok: false, reason: `could not create database ${database}: ${created.out}` };
  }
  return { ok: true, version: version.out };
}
