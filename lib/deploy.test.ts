import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DYNAMIC_CONFIG } from '../scripts/stack/cluster-config';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../scripts/stack/dynamic-config';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { CONFIG_VARIABLES, loadConfig, mongoUri, temporalAddress } from './config';

/**
 * What can be checked of the Dockerfile and docker-compose.yml without a Docker
 * engine: the compose file parses and has the cluster's shape, passes every
 * setting lib/config.ts reads to the worker and the API, registers every search
 * attribute; and, where the Docker CLI has the compose plugin, `docker compose
 * config` accepts it.
 */
const root = path.resolve(__dirname, '..');
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
// Compose honours YAML merge keys (`<<: *propeller`); so must the parser here.
const compose = parse(composeText, { merge: true }) as Record<string, any>;
const services = compose.services as Record<string, any>;
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

/** A compose value with every `${VAR:-default}` / `${VAR-default}` / `${VAR}` replaced by its default. */
function withDefaults(value: unknown): string {
  return String(value).replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '');
}

function envOf(service: string): Record<string, string> {
  const env = services[service].environment;
  expect(env).toBeDefined();
  expect(Array.isArray(env)).toBe(false); // a map, so keys can be compared
  return env as Record<string, string>;
}

const LISTEN_ON_ALL = ['API_HOST', 'API_METRICS_HOST', 'WORKER_METRICS_HOST'];

describe('docker-compose.yml', () => {
  it('When parsed, then it has every service of the cluster', () => {
    for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-history-1', 'temporal-history-2', 'temporal-matching', 'temporal-worker', 'temporal-ui', 'temporal-setup', 'mongo', 'worker', 'api', 'api-2']) {
      expect(services[name]).toBeDefined();
    }
  });

  it('When the worker and the API are built, then they come from the same image and build', () => {
    expect(services.worker.build).toEqual({ context: '.' });
    expect(services.api.build).toEqual(services.worker.build);
    expect(services.api.image).toBe(services.worker.image);
    expect(services.seed.image).toBe(services.worker.image);
    expect(services.worker.command).toEqual(['node', 'dist/workers/main.js']);
    expect(services.api.command).toEqual(['node', 'dist/api/main.js']);
    expect(withDefaults(services.worker.deploy.replicas)).toBe('2');
    expect(services.worker.deploy.replicas).toContain('WORKER_REPLICAS');
  });

  it('When lib/config.ts reads a variable, then the compose file names it: passed to the worker and the API, or listed as local-stack-only', () => {
    const localOnly = compose['x-local-stack-only'] as string[];
    for (const service of ['worker', 'api']) {
      const env = envOf(service);
      for (const name of CONFIG_VARIABLES) {
        // exactly one of the two
        expect({ name, passed: name in env, localOnly: localOnly.includes(name) }).toEqual({
          name,
          passed: !localOnly.includes(name),
          localOnly: localOnly.includes(name),
        });
      }
    }
    // no stale names in either list
    for (const name of [...localOnly, ...Object.keys(envOf('api'))]) {
      expect(CONFIG_VARIABLES).toContain(name);
    }
  });

  it('When a setting has a default, then the user overrides it by its own name; the listen addresses are fixed to every interface', () => {
    for (const [name, value] of Object.entries(envOf('api'))) {
      if (LISTEN_ON_ALL.includes(name)) {
        expect({ name, value }).toEqual({ name, value: '0.0.0.0' });
      } else {
        expect({ name, value }).toEqual({ name, value: expect.stringMatching(new RegExp(`^\\$\\{${name}:-[^}]*\\}$`)) });
      }
    }
  });

  it('When nothing is overridden, then the defaults are a valid configuration pointing at the compose services', () => {
    const env = Object.fromEntries(Object.entries(envOf('api')).map(([k, v]) => [k, withDefaults(v)]));
    const config = loadConfig(env);
    expect(temporalAddress(config)).toBe('temporal:7233');
    expect(mongoUri(config)).toBe('mongodb://mongo:27017/?replicaSet=rs0');
    expect(config.api.host).toBe('0.0.0.0');
    expect(services.api.ports).toEqual(['${API_PORT:-3000}:${API_PORT:-3000}']);
    // the prebuilt workflow bundle the Dockerfile writes
    expect(env.WORKFLOW_BUNDLE_PATH).toBe('/app/dist/workflow-bundle.js');
    expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
    expect(dockerfile).toContain("writeFileSync('dist/workflow-bundle.js'");
  });

  it('When temporal-setup runs, then it creates every search attribute of the workflows with its type, and no other', () => {
    const script = String(services['temporal-setup'].command);
    const cliType = { KEYWORD: 'Keyword', DATETIME: 'Datetime' } as Record<string, string>;
    for (const attr of SEARCH_ATTRIBUTES) {
      const type = cliType[attr.type];
      expect({ name: attr.name, type }).toEqual({ name: attr.name, type: expect.any(String) });
      expect(script).toMatch(
        new RegExp(`temporal operator search-attribute create --namespace "\\$\\$ns" --name ${attr.name} --type ${type} \\|\\| exists ${attr.name} ${type}\\n`),
      );
    }
    expect(script.match(/search-attribute create /g)).toHaveLength(SEARCH_ATTRIBUTES.length);
    expect(services['temporal-setup'].image).toMatch(/^temporalio\/admin-tools:1\.2\d\.\d+/);
    expect(services['temporal-setup'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(services['temporal-setup'].restart).toBe('no');
  });

  it('When Temporal starts, then it is a cluster of pinned server containers, one per service, on a PostgreSQL schema set up first; the UI points at the frontend', () => {
    const roles = { temporal: 'frontend', 'temporal-history-1': 'history', 'temporal-history-2': 'history', 'temporal-matching': 'matching', 'temporal-worker': 'worker' };
    for (const [name, role] of Object.entries(roles)) {
      expect({ name, image: services[name].image }).toEqual({ name, image: 'temporalio/server:1.29.1' });
      expect(services[name].environment).toMatchObject({ SERVICES: role, DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', NUM_HISTORY_SHARDS: '4' });
      expect(services[name].depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    }
    const schema = String(services['temporal-schema'].command);
    expect(schema).toContain('postgresql/v12/temporal');
    expect(schema).toContain('postgresql/v12/visibility');
    expect(schema).toContain('update-schema');
    expect(services['temporal-schema'].depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:2\.\d+\.\d+$/);
    expect(services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services['temporal-ui'].ports).toEqual(['${TEMPORAL_UI_PUBLISH_PORT:-8080}:8080']);
    expect(services.postgresql.image).toBe('postgres:16');
    expect(String(services['temporal-setup'].command)).toContain('temporal operator namespace create --namespace "$$ns"');
  });

  it('When Temporal starts, then its dynamic config is the cluster stack\'s, which turns on what the dev server of `npm start` does', () => {
    expect(parse(compose.configs['temporal-dynamic-config'].content)).toEqual(DYNAMIC_CONFIG);
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) expect(DYNAMIC_CONFIG[key]).toEqual([{ value }]);
  });

  it('When the API starts, then there are two processes of the same image on two host ports', () => {
    expect(services['api-2'].image).toBe(services.api.image);
    expect(services['api-2'].command).toEqual(services.api.command);
    expect(services['api-2'].ports).toEqual(['${API_PUBLISH_PORT_2:-3001}:${API_PORT:-3000}']);
  });

  it('When MongoDB starts, then it is a single-node replica set that initiates itself', () => {
    expect(services.mongo.image).toMatch(/^mongo:7/);
    expect(services.mongo.command.join(' ')).toContain('--replSet rs0');
    expect(services.mongo.healthcheck.test.join(' ')).toContain("rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] })");
  });

  it('When services depend on each other, then they wait for health (or completion), not just for a start', () => {
    for (const service of ['postgresql', 'temporal', 'mongo', 'api', 'worker']) {
      expect({ service, test: services[service].healthcheck?.test }).toEqual({ service, test: expect.arrayContaining([expect.any(String)]) });
    }
    for (const service of ['worker', 'api', 'api-2']) {
      expect(services[service].depends_on).toEqual({
        mongo: { condition: 'service_healthy' },
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
    }
    expect(services.api.healthcheck.test.join(' ')).toContain('/readyz');
  });

  it('When the seed runs, then every module and export it requires from dist/ exists in the sources', () => {
    const script = String(services.seed.command[2]);
    const requires = [...script.matchAll(/const \{([^}]+)\} = require\('\.\/dist\/([^']+)'\)/g)];
    expect(requires.length).toBeGreaterThan(0);
    for (const [, names, modulePath] of requires) {
      const mod = require(path.join(root, modulePath!)) as Record<string, unknown>;
      for (const name of names!.split(',').map((n) => n.trim())) {
        expect({ modulePath, name, type: typeof mod[name] }).toEqual({ modulePath, name, type: 'function' });
      }
    }
  });

  it('When the docker compose plugin is installed, then `docker compose config` accepts the file', () => {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 30_000 });
    if (version.error || version.status !== 0) return; // no compose plugin on this machine: nothing more to check
    const config = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: config.status, stderr: config.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

describe('Dockerfile and .dockerignore', () => {
  it('When built, then it is multi-stage: all dependencies to build, production ones only to run, as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm ci /m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(dockerfile).toMatch(/^COPY --from=build /m);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users.at(-1));
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/api\/main\.js"\]$/m);
  });

  it('When the build context is sent, then local state and build output stay out of it', () => {
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.data', '.git', '.env']) expect(ignored).toContain(entry);
  });
});
