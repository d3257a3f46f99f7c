import { MongoNetworkError, MongoServerError } from 'mongodb';
import { isDatabaseUnavailable } from './errors';

describe('isDatabaseUnavailable', () => {
  const server = (fields: Record<string, unknown>) => new MongoServerError({ message: 'failed', ...fields });

  it('takes a database that is going away for one that is unavailable, not for a failed command', () => {
    expect(isDatabaseUnavailable(new MongoNetworkError('connection reset'))).toBe(true);
    expect(isDatabaseUnavailable(server({ code: 91, codeName: 'ShutdownInProgress' }))).toBe(true);
    expect(isDatabaseUnavailable(server({ code: 11600, codeName: 'InterruptedAtShutdown' }))).toBe(true);
    expect(isDatabaseUnavailable(server({ code: 1, message: 'context canceled' }))).toBe(true);
    // FerretDB stopped while an update ran (its message as the wire carries it, with FerretDB's call trail).
    const stopped = '[msg_update.go:133 handler.(*Handler).updateDocument] [db.go:167 fsql.(*DB).InTransaction] sql: transaction has already been committed or rolled back';
    expect(isDatabaseUnavailable(server({ code: 1, message: stopped }))).toBe(true);
    expect(isDatabaseUnavailable(server({ code: 1, message: '[pool.go:80] sql: database is closed' }))).toBe(true);
    expect(isDatabaseUnavailable(server({ code: 1, message: 'unexpected internal error' }))).toBe(false);
    expect(isDatabaseUnavailable(server({ code: 2, message: 'bad value', errorLabels: ['RetryableWriteError'] }))).toBe(true);
    // A refused command is the caller's problem or a bug: a 4xx or a 500, never "try again".
    expect(isDatabaseUnavailable(server({ code: 11000, message: 'E11000 duplicate key' }))).toBe(false);
    expect(isDatabaseUnavailable(server({ code: 2, message: 'BadValue' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('context canceled'))).toBe(false);
  });
});
