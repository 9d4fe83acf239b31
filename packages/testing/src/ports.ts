import { createServer } from 'node:net';

/**
 * Ports are picked below Linux's ephemeral range (32768–60999), which the OS hands out to every
 * outgoing connection and every `listen(0)`: a port taken from inside it can be given to some
 * Redis client's socket before the service that was meant to have it listens (EADDRINUSE on a
 * busy machine). A random start spreads concurrent suites apart.
 */
const LOW = 20_000;
const HIGH = 32_767;

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await tryListen(LOW + Math.floor(Math.random() * (HIGH - LOW)));
    if (port) return port;
  }
  const any = await tryListen(0);
  if (!any) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}
