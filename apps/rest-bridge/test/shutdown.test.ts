import { join } from 'node:path';
import { freePort, spawnService, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

// A sync caller whose bridge stops (a deploy) is answered with its request id, not a socket reset:
// its request goes on elsewhere and is read by id (issues 27.4, 31.1). Before, the waits inside the
// call were never released, the caller got a bare reset ~19 s later, and could only pay again.
const REST = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENAI = join(__dirname, '..', '..', 'worker-openai', 'dist', 'main.js');

describe('REST bridge shutdown', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  beforeAll(async () => {
    stack = await startFakeStack();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  it('a sync call in flight at SIGTERM gets 202 with its request id; the bridge exits soon after its grace period (not ~20 s later)', async () => {
    const port = await freePort();
    const env = stack.env({ REST_PORT: String(port), ORCH_QUEUE_PREFIX: 'rs1', ORCH_SHUTDOWN_GRACE_MS: '500', MCP_SYNC_WAIT_SECONDS: '50', MCP_LOG_LEVEL: 'info' });
    stack.openai.setBehaviour({ latencyMs: 60_000 });
    procs.push(await spawnService({ script: WORKER_OPENAI, env, readyText: 'provider worker started' }));
    const bridge = await spawnService({ script: REST, env, readyText: 'REST bridge listening' });
    procs.push(bridge);
    const answer = fetch(`http://127.0.0.1:${port}/mcp/think_deeper`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ problem: 'Stop mid-call' }) });
    await stack.openai.waitForRequest((q) => JSON.stringify(q.body.messages).includes('Stop mid-call'));
    const stoppedAt = Date.now();
    bridge.child.kill('SIGTERM');
    const res = await answer;
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 202, body: expect.objectContaining({ success: true, status: 'running', request_id: expect.stringMatching(/^\w{26}$/) }) });
    expect(await bridge.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(500 + 5_000);
  });
});
