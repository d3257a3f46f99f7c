import { ConfigError, loadConfig } from './config';

describe('loadConfig: the settings of issue 32', () => {
  it('When nothing is set, then no internal network is allowed, operator keys last 24 hours and the API metrics listen on 127.0.0.1:9470', () => {
    const config = loadConfig({});
    expect(config.webhooks.allowNetworks).toEqual([]);
    expect(config.api.operatorKeyTtlMs).toBe(24 * 3_600_000);
    expect(config.api.metrics).toEqual({ host: '127.0.0.1', port: 9470 });
  });

  it('When they are set, then they are read', () => {
    const config = loadConfig({ WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32, 10.20.0.0/16', OPERATOR_KEY_TTL: '4h', API_METRICS_HOST: '0.0.0.0', API_METRICS_PORT: '9500' });
    expect(config.webhooks.allowNetworks).toEqual(['127.0.0.1/32', '10.20.0.0/16']);
    expect(config.api.operatorKeyTtlMs).toBe(4 * 3_600_000);
    expect(config.api.metrics).toEqual({ host: '0.0.0.0', port: 9500 });
  });

  it.each([
    [{ OPERATOR_KEY_TTL: '25h' }, 'OPERATOR_KEY_TTL'],
    [{ OPERATOR_KEY_TTL: '7d' }, 'OPERATOR_KEY_TTL'],
    [{ OPERATOR_KEY_TTL: 'forever' }, 'OPERATOR_KEY_TTL'],
    [{ WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32,intranet' }, 'not a CIDR: intranet'],
    [{ API_METRICS_PORT: '70000' }, 'API_METRICS_PORT'],
  ])('When %j is set, then the configuration is refused naming it', (env, named) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(named);
  });
});
