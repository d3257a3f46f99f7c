import { envInt, FAULT_LEADS } from './lead-lifecycles';
import { probe } from './probes';
import { describeServerOutage } from './server-outage';

/**
 * Fault suite 3: FerretDB (the MongoDB the API and the activities use) is
 * stopped for FERRETDB_OUTAGE_MS in the middle of a run of lead lifecycles and
 * started again on the same port and files. A FerretDB of this file's own; the
 * Temporal server is the run's shared one.
 */
const OUTAGE_MS = envInt('FERRETDB_OUTAGE_MS', 5_000);

describeServerOutage({
  name: 'ferretdb-outage',
  server: 'ferretdb',
  outageMs: OUTAGE_MS,
  seedOffset: 3,
  describe: 'Fault: FerretDB is down for a while mid-run',
  it: `When FerretDB is stopped for ${OUTAGE_MS} ms during ${FAULT_LEADS} lead lifecycles, then the API answers 503 (not 500) meanwhile, the activities retry and complete after it returns, and nothing is lost or doubled`,
  readyMessage: 'MongoDB unreachable',
  downCode: 'database_unavailable',
  readsWhileDown: false,
  probesWhileDown: (h, lead) => [
    probe(h, 'GET', `/v1/records/lead/${lead.id}`, lead.sales),
    probe(h, 'POST', `/v1/leads/${lead.id}/accept`, lead.partner, {}),
  ],
});
