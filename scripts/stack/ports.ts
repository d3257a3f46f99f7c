import net from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly variable: string,
  ) {
    super(`port ${port} is already in use; set ${variable} to use another port`);
  }
}

function tryListen(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** Throws a PortInUseError naming the variable that moves the port. */
export async function assertPortFree(port: number, variable: string, host = '127.0.0.1'): Promise<void> {
  try {
    await tryListen(port, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, variable);
    throw err;
  }
}

/** A port the OS says is free right now (for test runs that must not collide with `npm start`). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return tryListen(0, host);
}
