import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflows, PRELOADED_WORKFLOW_MODULES } from './bundle';

const DOMAIN = path.resolve(__dirname, '..', 'workflows', 'domain');

it('When the workflows are bundled, then the pure domain rules are loaded once per worker (preloaded), not once per workflow', async () => {
  const code = await bundleWorkflows();
  const preload = /exports\.preloadModules = function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(code)?.[1] ?? '';
  expect(preload).toContain('"./workflows/domain/index.ts"');
  expect(PRELOADED_WORKFLOW_MODULES).toEqual([path.join(DOMAIN, 'index.ts')]);
}, 60_000);

it('When a preloaded domain module imports, then only other domain modules: the SDK, which keeps per-workflow state, is never shared', () => {
  const sources = fs.readdirSync(DOMAIN).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'test-fixtures.ts');
  const outside = sources.flatMap((file) => {
    const text = fs.readFileSync(path.join(DOMAIN, file), 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    return specifiers.filter((s) => !s.startsWith('./')).map((s) => `${file}: ${s}`);
  });
  expect(sources.length).toBeGreaterThan(10);
  expect(outside).toEqual([]);
});
