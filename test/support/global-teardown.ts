import fs from 'node:fs';

interface Running {
  temporal: { stop(): Promise<void> };
  ferretdb: { stop(): Promise<void> };
  dir: string;
}

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as Record<string, unknown>).__propellerStack as Running | undefined;
  if (!running) return;
  await Promise.all([running.temporal.stop(), running.ferretdb.stop()]);
  if (!process.env.KEEP_TEST_STACK) fs.rmSync(running.dir, { recursive: true, force: true });
}
