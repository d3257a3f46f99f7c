import type { CommandSucceededEvent, CommandFailedEvent, MongoClient } from 'mongodb';
import { round } from './stats';

/** Commands answered by MongoDB, by command and collection ("insert events"), with their summed round-trip time. */
export interface MongoTally {
  reset(): void;
  /** The total and each kind's count, per `per` operations (a lifecycle, a move), most frequent first. */
  per(per: number): { total: number; byKind: Array<{ kind: string; count: number; msEach: number }> };
  /** One line for a scenario's facts: "12.0: 4.0 insert events, 3.0 update records, …". */
  describe(per: number): string;
}

/**
 * Counts the commands a client sends, from the driver's command events (the
 * client must be created with `monitorCommands`). What the benchmark reports
 * as "MongoDB round trips per lifecycle": the profile of the database's share.
 */
export function tallyCommands(client: MongoClient): MongoTally {
  const started = new Map<number, string>();
  let kinds = new Map<string, { count: number; ms: number }>();
  client.on('commandStarted', (e) => {
    const target = e.command[e.commandName];
    started.set(e.requestId, typeof target === 'string' ? `${e.commandName} ${target}` : e.commandName);
  });
  const done = (e: CommandSucceededEvent | CommandFailedEvent) => {
    const kind = started.get(e.requestId);
    if (kind === undefined) return;
    started.delete(e.requestId);
    const entry = kinds.get(kind) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += e.duration;
    kinds.set(kind, entry);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);

  const per = (n: number) => {
    const byKind = [...kinds.entries()]
      .filter(([kind]) => !['hello', 'isMaster', 'ping', 'endSessions'].includes(kind.split(' ')[0]!))
      .map(([kind, { count, ms }]) => ({ kind, count: count / n, msEach: ms / count }))
      .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
    return { total: byKind.reduce((sum, k) => sum + k.count, 0), byKind };
  };
  return {
    reset: () => void (kinds = new Map()),
    per,
    describe(n) {
      const { total, byKind } = per(n);
      return `${round(total)}: ${byKind.map((k) => `${round(k.count)} ${k.kind} (${round(k.msEach)} ms)`).join(', ')}`;
    },
  };
}
