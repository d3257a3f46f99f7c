import { defaultLayout, NUM_HISTORY_SHARDS, parsePostgresUrl, postgresDatabaseUrl, serverConfig } from './cluster-config';

describe('the cluster layout and server config', () => {
  const layout = defaultLayout({ frontendPort: 7233, uiPort: 8233 });
  const pg = parsePostgresUrl('postgres://postgres@127.0.0.1:5432');
  const databases = { temporal: 't', visibility: 'v' };
  const configOf = (name: string) =>
    serverConfig({ layout, node: layout.nodes.find((n) => n.name === name)!, pg, databases, dynamicConfigFile: '/d.yaml', logLevel: 'warn' }) as any;

  it('When the default layout is made, then each of the five processes has a loopback address of its own and the frontend the dev server\'s port', () => {
    expect(layout.nodes.map((n) => [n.name, n.service, n.ip])).toEqual([
      ['frontend', 'frontend', '127.0.0.1'],
      ['history-1', 'history', '127.0.0.2'],
      ['history-2', 'history', '127.0.0.3'],
      ['matching', 'matching', '127.0.0.4'],
      ['worker', 'worker', '127.0.0.5'],
    ]);
    expect(layout.nodes[0]!.grpcPort).toBe(7233);
  });

  it.each(['history-1', 'history-2'])('When %s gets its config, then it binds and broadcasts its own address, and dials the others at theirs', (name) => {
    const node = layout.nodes.find((n) => n.name === name)!;
    const config = configOf(name);
    expect(config.global.membership.broadcastAddress).toBe(node.ip);
    expect(config.services.history.rpc.bindOnIP).toBe(node.ip);
    expect(config.services.frontend.rpc).toMatchObject({ bindOnIP: '127.0.0.1', grpcPort: 7233 });
    expect(config.persistence).toMatchObject({ numHistoryShards: NUM_HISTORY_SHARDS, defaultStore: 'postgres-default', visibilityStore: 'postgres-visibility' });
    expect(config.persistence.datastores['postgres-default'].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 't', connectAddr: '127.0.0.1:5432', user: 'postgres' });
    expect(config.publicClient.hostPort).toBe('127.0.0.1:7233');
  });

  it.each([
    ['postgres://postgres@127.0.0.1:5432', { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' }],
    ['postgresql://app:s%40cret@db.internal', { host: 'db.internal', port: 5432, user: 'app', password: 's@cret' }],
  ])('When TEMPORAL_POSTGRES_URL is %s, then it is parsed', (url, expected) => {
    expect(parsePostgresUrl(url)).toEqual(expected);
  });

  it('When a database URL is made for FerretDB, then the credentials are encoded again', () => {
    expect(postgresDatabaseUrl({ host: 'h', port: 1, user: 'app', password: 's@cret' }, 'fdb')).toBe('postgres://app:s%40cret@h:1/fdb');
    expect(() => parsePostgresUrl('mysql://x')).toThrow(/postgres/);
  });
});
