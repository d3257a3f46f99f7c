import fs from 'node:fs';
import path from 'node:path';
import { STACK_ENV } from '../support/stack';

export default async function globalTeardown(): Promise<void> {
  const file = process.env[STACK_ENV];
  if (file && !process.env.KEEP_TEST_STACK) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
