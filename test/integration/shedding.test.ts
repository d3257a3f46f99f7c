import http from 'node:http';
import { COLLECTIONS } from '../../activities/store';
import { call } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(120_000);

/**
 * Admission control (api/admission.ts) on the API as it runs: one request in
 * flight at a time. A request whose body has not arrived yet holds that one
 * turn (admission comes before the body is read), so the test saturates the
 * API without depending on how fast anything is.
 */

/** Starts a POST whose body never finishes: it takes a turn and keeps it until `release()` sends the rest. */
function holdTurn(h: Harness, apiKey: string): { answered: Promise<number>; release(body: string): void } {
  const url = new URL(h.apiUrl);
  const agent = new http.Agent({ keepAlive: false });
  let req!: http.ClientRequest;
  const answered = new Promise<number>((resolve, reject) => {
    req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v1/records/lead',
        agent,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
  });
  req.flushHeaders();
  return {
    answered,
    release(body) {
      req.end(body);
    },
  };
}

/** Until the API has taken the held request in (its in-flight gauge reads 1). */
async function untilInFlight(h: Harness, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const text = await (await fetch(h.apiMetricsUrl)).text();
    if (new RegExp(`^propeller_http_in_flight_requests\\{[^}]*\\} ${n}$`, 'm').test(text)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the API never had ${n} request(s) in flight`);
}

async function leadsTitled(h: Harness, title: string): Promise<number> {
  return h.db.collection(COLLECTIONS.records).countDocuments({ type: 'lead', 'fields.title': title });
}

describe('Admission control', () => {
  describe('with one turn and no queue', () => {
    let h: Harness;
    let demo: DemoWorld;
    beforeAll(async () => {
      h = await startHarness({ limits: { admission: { maxInFlight: 1, queueLimit: 0, queueWaitMs: 0 } } });
      demo = await seedDemo(h);
    });
    afterAll(async () => {
      demo?.cleanup();
      await h?.stop();
    });

    it('When the one turn is taken, then a write is shed with 503 overloaded and Retry-After, changes nothing, and health is still answered', async () => {
      const sales = demo.users.sales;
      const held = holdTurn(h, sales.apiKey);
      await untilInFlight(h, 1);

      const title = uid('shed');
      const shed = await call(h, 'POST', '/v1/records/lead', {
        user: sales,
        body: { fields: { title, amount: 1 }, partnerCompanyId: demo.companies.partnerA },
      });
      expect(shed.status).toBe(503);
      expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(shed.body).toEqual({
        error: {
          code: 'overloaded',
          message: expect.stringMatching(/capacity.*nothing was changed/),
          details: expect.objectContaining({ reason: 'queue_full', maxInFlight: 1 }),
          requestId: shed.headers.get('x-request-id'),
        },
      });
      expect((await call(h, 'GET', '/healthz')).status).toBe(200);
      expect((await call(h, 'GET', '/readyz')).status).toBe(200);

      const kept = uid('kept');
      held.release(JSON.stringify({ fields: { title: kept, amount: 1 }, partnerCompanyId: demo.companies.partnerA }));
      expect(await held.answered).toBe(201);
      // The turn is handed back: the same write now goes through.
      const again = await call(h, 'POST', '/v1/records/lead', {
        user: sales,
        body: { fields: { title: uid('after'), amount: 1 }, partnerCompanyId: demo.companies.partnerA },
      });
      expect(again.status).toBe(201);
      expect(await leadsTitled(h, title)).toBe(0);
      expect(await leadsTitled(h, kept)).toBe(1);
      const metrics = await (await fetch(h.apiMetricsUrl)).text();
      expect(metrics).toMatch(/^propeller_http_shed_total\{[^}]*reason="queue_full"[^}]*\} 1$/m);
    });
  });

  describe('with one turn and a queue of one', () => {
    let h: Harness;
    let demo: DemoWorld;
    beforeAll(async () => {
      h = await startHarness({ limits: { admission: { maxInFlight: 1, queueLimit: 1, queueWaitMs: 300 } } });
      demo = await seedDemo(h);
    });
    afterAll(async () => {
      demo?.cleanup();
      await h?.stop();
    });

    it('When a request waits longer than the queue wait, then it is shed with 503 overloaded (queue_wait) and its write is not applied', async () => {
      const sales = demo.users.sales;
      const held = holdTurn(h, sales.apiKey);
      await untilInFlight(h, 1);
      const title = uid('waited');
      const shed = await call(h, 'POST', '/v1/records/lead', {
        user: sales,
        body: { fields: { title, amount: 1 }, partnerCompanyId: demo.companies.partnerA },
      });
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(shed.body.error).toMatchObject({ code: 'overloaded', details: { reason: 'queue_wait', queueWaitMs: 300 } });
      held.release(JSON.stringify({ fields: { title: uid('kept'), amount: 1 }, partnerCompanyId: demo.companies.partnerA }));
      expect(await held.answered).toBe(201);
      expect(await leadsTitled(h, title)).toBe(0);
    });
  });
});
