import { instanceMemo, instanceSummary, recordTitle } from './instance-summary';

const def = { name: 'Partner lead', version: 3 };

describe('instance summary and memo (what the Temporal Web UI shows)', () => {
  it('names the pipeline, its version, the record and its title', () => {
    const record = { id: 'lea_1', type: 'lead', fields: { title: 'Acme roof' } };
    expect(instanceSummary(def, record)).toBe('Partner lead v3 · lead lea_1 · "Acme roof"');
    expect(instanceMemo(def, record)).toEqual({ pipelineName: 'Partner lead', pipelineVersion: 3, recordId: 'lea_1', recordTitle: 'Acme roof' });
  });

  it('falls back to the name, and leaves the title out when the record has none', () => {
    expect(recordTitle({ fields: { name: 'Jo' } })).toBe('Jo');
    const untitled = { id: 'opp_1', type: 'opportunity', fields: { title: '  ', amount: 5 } };
    expect(instanceSummary(def, untitled)).toBe('Partner lead v3 · opportunity opp_1');
    expect(instanceMemo(def, untitled)).not.toHaveProperty('recordTitle');
  });

  it('keeps the summary on one short line', () => {
    const title = recordTitle({ fields: { title: `a\nb  ${'x'.repeat(200)}` } })!;
    expect(title).not.toMatch(/\n/);
    expect(title.startsWith('a b x')).toBe(true);
    expect(title).toHaveLength(80);
  });
});
