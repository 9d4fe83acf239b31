import { startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * A whole-stack test file's fixture: one fake stack (Redis and both fake providers) for the file,
 * the processes a test starts stopped after it, the providers reset. `env()` reaches the stack with a
 * queue prefix of its own per call, so tests never share queues.
 */
export function gatewaySuite(prefix: string) {
  let stack: FakeStack | undefined;
  const procs: ServiceProcess[] = [];
  let seq = 0;
  beforeAll(async () => {
    stack = await startFakeStack();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    stack?.reset();
  });
  afterAll(() => stack?.stop());
  const s = () => stack!;
  return {
    stack: s,
    /** Stopped after the test. */
    track: (p: ServiceProcess) => (procs.push(p), p),
    env: (extra: Record<string, string> = {}) => s().env({ ORCH_QUEUE_PREFIX: `${prefix}${++seq}`, MCP_LOG_LEVEL: 'info', ...extra }),
  };
}
