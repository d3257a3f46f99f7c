import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Express } from 'express';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * @seriousme/openapi-schema-validator is ESM-only and jest here runs CommonJS,
 * so it runs in a child Node process; the document goes in on stdin.
 */
const VALIDATE = `
import { Validator } from '@seriousme/openapi-schema-validator';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(text));
process.stdout.write(JSON.stringify({ version: validator.version, valid: result.valid, errors: result.errors ?? [] }));
`;

export interface Validation {
  /** The OpenAPI version the validator checked against, e.g. "3.1". */
  version: string;
  valid: boolean;
  errors: unknown;
}

/** Checks a document against the official OpenAPI 3.x JSON schema of its version. */
export function validateOpenApi(doc: unknown): Promise<Validation> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', VALIDATE], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the validator exited with ${code}: ${err}`));
      resolve(JSON.parse(out) as Validation);
    });
    child.stdin.end(JSON.stringify(doc));
  });
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  slash?: boolean;
  rawPath?: unknown;
}

/** Every "METHOD /path" an express 5 app routes, walking its router stack and the routers mounted in it. */
export function expressRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        const methods = Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m]);
        for (const p of paths) for (const m of methods) found.push(`${m.toUpperCase()} ${prefix}${p}`);
      } else if (layer.handle?.stack) {
        if (!layer.slash && typeof layer.rawPath !== 'string') throw new Error('a router mounted on a pattern: teach expressRoutes to read it');
        walk(layer.handle.stack, layer.slash ? prefix : `${prefix}${layer.rawPath as string}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found.sort();
}
