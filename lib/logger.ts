import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (or to `destination`: a test keeps its server's error
 * lines to print when a check fails); every process makes one root logger and
 * passes children down.
 */
export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  const options = { level, name, base: { pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}
