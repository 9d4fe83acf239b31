import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnApp, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

const run = promisify(execFile);
const KEY = 'examples-key-0123456789';

/** The examples run as a user would run them, against the whole stack on the fake providers. */
describe('examples', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let env: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startFakeStack();
    const [restPort, wsPort] = await Promise.all([freePort(), freePort()]);
    const base = stack.env({ ORCH_API_KEYS: KEY, REST_PORT: String(restPort), WS_PORT: String(wsPort) });
    stack.openai.setBehaviour({ tokensPerSecond: 200, completionTokens: 20 });
    procs.push(...(await Promise.all([spawnApp('worker-openai', base), spawnApp('worker-openrouter', base), spawnApp('rest-bridge', base), spawnApp('ws-bridge', base)])));
    env = { PATH: process.env.PATH ?? '', ORCH_REST_URL: `http://127.0.0.1:${restPort}`, ORCH_WS_URL: `ws://127.0.0.1:${wsPort}`, ORCH_API_KEY: KEY };
  }, 60_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  it('TypeScript quick start: REST call, a request followed over WS with its streamed text, spend', async () => {
    const { stdout } = await run(process.execPath, [join(__dirname, '..', 'dist', 'quickstart.js')], { env, timeout: 60_000 });
    expect(stdout).toMatch(/models: gemini_pro .*o3_architect/);
    expect(stdout).toMatch(/gemini_pro says: \[google\/gemini-2\.5-pro\] echo:/);
    expect(stdout).toMatch(/\[streaming o3_architect\] \[o3\] echo:/);
    expect(stdout).toMatch(/status: completed/);
    expect(stdout).toMatch(/spent today: \$0\.\d+ of \$\d+/);
  });

  it('curl quick start', async () => {
    const { stdout } = await run('bash', [join(__dirname, '..', 'curl', 'quickstart.sh')], { env, timeout: 60_000 });
    expect(stdout).toContain('query_specific_model');
    expect(stdout).toMatch(/echo: What are React best practices\?/);
    expect(stdout).toMatch(/^progress .*partial .*result .*done $/m);
    expect(stdout).toMatch(/"status": "completed"/);
    expect(stdout).toMatch(/"spent_usd": 0\.\d+/);
  });
});
