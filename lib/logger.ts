import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; every process makes one root logger and passes children down. */
export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, base: { pid: process.pid } });
}
