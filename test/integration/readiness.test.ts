import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createStores } from '../../activities/store';
import { createApp } from '../../api/app';
import { createLogger } from '../../lib/logger';
import { connectMongo, type MongoHandle } from '../../lib/mongo';
import { freePort } from '../../scripts/stack/ports';
import { startFerretdb, type FerretdbServer } from '../../scripts/stack/servers';
import { missingSearchAttributes } from '../../scripts/stack/search-attributes';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { eventually } from '../support/harness';
import { testStack } from '../support/stack';

describe('readiness and the test stack', () => {
  const stack = testStack();
  let ferretdb: FerretdbServer;
  let port: number;
  let mongo: MongoHandle;
  let connection: Connection;
  let server: Server;
  let url: string;

  const ferretdbOptions = () => ({
    binary: stack.ferretdbBinary,
    port,
    handler: 'sqlite' as const,
    sqliteDir: path.join(stack.dir, 'readiness-ferretdb'),
    logFile: path.join(stack.dir, 'readiness-ferretdb.log'),
  });

  beforeAll(async () => {
    // A FerretDB of this file's own: stopping the shared one would break the other files.
    port = await freePort();
    ferretdb = await startFerretdb(ferretdbOptions());
    mongo = await connectMongo(ferretdb.uri, 'readiness');
    connection = await Connection.connect({ address: stack.temporalAddress });
    const app = createApp({
      temporal: new Client({ connection }),
      taskQueue: 'readiness',
      db: mongo.db,
      stores: createStores(mongo.db),
      log: createLogger('silent', 'api'),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await mongo?.client.close();
    await connection?.close();
    await ferretdb?.stop();
  });

  it('When Temporal and MongoDB answer, then /readyz is 200 and /healthz is 200', async () => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { temporal: 'up', mongodb: 'up' } });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('When FerretDB is stopped, then /readyz is 503 naming MongoDB; when it is back, then 200 again', async () => {
    await ferretdb.stop();
    const down = await fetch(`${url}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { error: { code: string; message: string; details: Record<string, string> } };
    expect(body.error).toMatchObject({ code: 'not_ready', message: 'MongoDB unreachable' });
    expect(body.error.details.temporal).toBe('up');
    expect(body.error.details.mongodb).toMatch(/^down/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    ferretdb = await startFerretdb(ferretdbOptions());
    const status = await eventually(async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 && res.status;
    });
    expect(status).toBe(200);
  });

  it('When the run starts its dev server, then every project search attribute exists with its type', async () => {
    expect(await missingSearchAttributes(connection, 'default')).toEqual([]);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const types = Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, customAttributes?.[a.name]]));
    const { INDEXED_VALUE_TYPE_KEYWORD: keyword, INDEXED_VALUE_TYPE_DATETIME: datetime } =
      temporal.api.enums.v1.IndexedValueType;
    expect(types).toEqual({
      PipelineKey: keyword,
      ObjectType: keyword,
      RecordId: keyword,
      Stage: keyword,
      StageType: keyword,
      PartnerCompanyId: keyword,
      OwnerId: keyword,
      DeadlineAt: datetime,
      CompanyId: keyword,
    });
  });
});
