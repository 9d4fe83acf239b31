import { connect, type Socket } from 'node:net';
import { spawnFrontDoors, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

// Issue 17: 5,000 callers arriving within a second lost 218 calls at the REST bridge to connect
// timeouts and resets. A door busy for a moment had the kernel queue only Node's default 511
// connections it had not yet accepted, and dropped the rest of the burst.
describe('a front door holds a burst of connections it has not accepted yet', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let ports: Record<string, number>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    stack = await startFakeStack();
    ports = await spawnFrontDoors(stack.env({ ORCH_RATE_LIMIT: '0' }), procs);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const p of procs) p.child.kill('SIGCONT');
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  it.each(['rest-bridge', 'ws-bridge', 'mcp-gateway'])('%s: 1,500 connections made while its process is stopped all connect', async (door) => {
    const proc = procs.find((p) => p.child.spawnargs.some((a) => a.includes(`/${door}/`)))!;
    // Stopped, the process accepts nothing: the kernel alone completes the handshakes, up to the
    // listen backlog, and drops the SYNs past it (those clients wait for a retransmit, seconds later).
    proc.child.kill('SIGSTOP');
    let connected = 0;
    try {
      for (let i = 0; i < 1500; i++) {
        const s = connect(ports[door]!, '127.0.0.1', () => void connected++);
        s.on('error', () => undefined);
        sockets.push(s);
      }
      // Past the backlog, the count stops short of 1,500 (at 512 with Node's default) until SIGCONT.
      await waitFor(() => connected === 1500, { timeoutMs: 10_000 }).catch(() => undefined);
    } finally {
      proc.child.kill('SIGCONT');
    }
    expect(connected).toBe(1500);
    // Once running again, the door serves as before.
    const health = await fetch(`http://127.0.0.1:${ports[door]}/healthz`);
    expect(health.status).toBeLessThan(500);
    for (const s of sockets.splice(0)) s.destroy();
  });
});
