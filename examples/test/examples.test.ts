import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnApp, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

const run = promisify(execFile);
const KEY = 'examples-key-0123456789';

/** A Python 3 that has `requests` (the one on PATH, else Debian's with python3-requests). */
function python(): string {
  const found = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import requests'], { stdio: 'ignore' }).status === 0);
  if (!found) throw new Error('no python3 with requests (Debian: apt-get install python3-requests)');
  return found;
}

/** The examples run as a user would run them, against the whole stack on the fake providers. */
describe('examples', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let env: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startFakeStack();
    const [restPort, wsPort] = await Promise.all([freePort(), freePort()]);
    const base = stack.env({ ORCH_API_KEYS: KEY, REST_PORT: String(restPort), WS_PORT: String(wsPort) });
    // o3 streams for about a second: the curl example's SSE follower (a new curl after the 202) then
    // joins while the call runs and sees its progress and partial text, even on a busy machine; a
    // follower that comes after the end is told only the end (the stream is compacted to it).
    stack.openai.setBehaviour({ tokensPerSecond: 20, completionTokens: 20 });
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

  it('Python with requests: the seed\'s REST example, a request read by id, a 400 naming the field, spend', async () => {
    const { stdout } = await run(python(), [join(__dirname, '..', 'python', 'rest_example.py')], { env, timeout: 90_000 });
    expect(stdout).toMatch(/^orchestrate_task: completed, 2 answers$/m);
    expect(stdout).toMatch(/gemini_pro says: \[google\/gemini-2\.5-pro\] echo:/);
    expect(stdout).toMatch(/^accepted 202: request \w+$/m);
    expect(stdout).toMatch(/^request \w+: completed$/m);
    expect(stdout).toMatch(/^missing description: HTTP 400 invalid_arguments: .*description/m);
    expect(stdout).toMatch(/^spent today: \$0\.\d+ of \$\d+/m);
  });

  it('Python, standard library only: the seed\'s WebSocket message, its events and result, the request followed again by id', async () => {
    const { stdout } = await run(python(), [join(__dirname, '..', 'python', 'ws_example.py')], { env, timeout: 90_000 });
    expect(stdout).toMatch(/^welcome: \d+ tools, models .*gemini_pro/m);
    expect(stdout).toMatch(/^events: .*result.* done$/m);
    expect(stdout).toMatch(/gemini_pro says: \[google\/gemini-2\.5-pro\] echo: What are React best practices\?/);
    expect(stdout).toMatch(/^request \w+ again: completed$/m);
    expect(stdout).toMatch(/^missing description: invalid_arguments: .*description/m);
  });
});
