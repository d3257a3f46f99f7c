import { createMetrics } from './metrics';
import { PROPELLER_VERSION } from './version';

describe('propeller_build_info', () => {
  it.each(['api', 'worker'] as const)('When the %s exports its metrics, then one gauge names the version package.json holds', async (process) => {
    const text = await createMetrics(process).registry.metrics();
    expect(text).toContain(`propeller_build_info{version="${PROPELLER_VERSION}",process="${process}"} 1`);
  });
});
