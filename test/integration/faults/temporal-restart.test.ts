import { LEAD_STAGES } from '../../../workflows/domain/templates/partner-lead';
import { instancePath } from '../../support/pipelines';
import { envInt, FAULT_LEADS } from './lead-lifecycles';
import { probe } from './probes';
import { describeServerOutage } from './server-outage';

/**
 * Fault suite 2: the Temporal dev server is stopped (SIGTERM) in the middle of
 * a run of lead lifecycles and started again on the same port and SQLite file.
 * On a dev server of this file's own, so the other files keep theirs.
 */
const OUTAGE_MS = envInt('TEMPORAL_OUTAGE_MS', 5_000);

describeServerOutage({
  name: 'temporal-restart',
  server: 'temporal',
  outageMs: OUTAGE_MS,
  seedOffset: 2,
  describe: 'Fault: the Temporal server is stopped and restarted mid-run',
  it: `When the Temporal server stops for ${OUTAGE_MS} ms during ${FAULT_LEADS} lead lifecycles and restarts on the same database, then the API answers reads from MongoDB and changes 503 meanwhile, and every lead ends where its operations say, each step once`,
  readyMessage: 'Temporal unreachable',
  downCode: 'temporal_unavailable',
  readsWhileDown: true,
  probesWhileDown: (h, lead) => {
    const instance = instancePath(lead.instanceId);
    return [probe(h, 'GET', instance, lead.sales), probe(h, 'POST', `${instance}/moves`, lead.partner, { to: LEAD_STAGES.accepted })];
  },
});
