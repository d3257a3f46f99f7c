import { ConfigError, loadConfig } from './config';

describe('loadConfig: the settings of issue 32', () => {
  it('When nothing is set, then no internal network is allowed, operator keys last 24 hours and the API metrics listen on 127.0.0.1:9470', () => {
    const config = loadConfig({});
    expect(config.webhooks.allowNetworks).toEqual([]);
    expect(config.api.operatorKeyTtlMs).toBe(24 * 3_600_000);
    expect(config.api.metrics).toEqual({ host: '127.0.0.1', port: 9470 });
    expect(config.webhooks.retry).toEqual({ schedule: [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000], disableAfterMs: 5 * 86_400_000 });
  });

  it('When a webhook retry schedule is set, then deliveries follow it', () => {
    const config = loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0, 500ms,2s', WEBHOOK_DISABLE_AFTER: '1h' });
    expect(config.webhooks.retry).toEqual({ schedule: [0, 500, 2_000], disableAfterMs: 3_600_000 });
  });

  it("When Propeller runs its own Temporal, then the Web UI is the dev server's; with a service of yours, only TEMPORAL_UI_URL names it", () => {
    expect(loadConfig({}).temporal.webUiUrl).toBe('http://127.0.0.1:8233');
    expect(loadConfig({ TEMPORAL_UI_PORT: '9233' }).temporal.webUiUrl).toBe('http://127.0.0.1:9233');
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporal.webUiUrl).toBeUndefined();
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_UI_URL: 'https://temporal.example.com' }).temporal.webUiUrl).toBe('https://temporal.example.com');
    expect(() => loadConfig({ TEMPORAL_UI_URL: 'not a url' })).toThrow(ConfigError);
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
    [{ WEBHOOK_RETRY_SCHEDULE: '0,5s,later' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ WEBHOOK_DISABLE_AFTER: 'never' }, 'WEBHOOK_DISABLE_AFTER'],
  ])('When %j is set, then the configuration is refused naming it', (env, named) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(named);
  });
});
