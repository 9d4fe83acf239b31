import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { APP_READY_TEXT, freePort, spawnService, startFakeStack, waitFor, type AppName, type FakeStack, type ServiceProcess } from '@orch/testing';

const run = promisify(execFile);
const repo = join(__dirname, '..', '..');
const APPS = Object.keys(APP_READY_TEXT) as AppName[];
const DEV_ONLY = ['jest', 'ts-jest', 'typescript', '@orch/testing', '@types/node', 'eslint', 'turbo'];

/**
 * No Docker engine runs here, so the images are proven through their contents: docker/bundle.sh
 * (the very steps the Dockerfile runs: turbo prune, install from the pruned lockfile, build, pnpm
 * deploy --prod) builds every app's bundle, and each bundle is started from its own folder with
 * production dependencies only and must answer /healthz.
 */
describe('production bundles (as docker/Dockerfile builds them)', () => {
  let out = '';
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'orch-bundles-'));
    stack = await startFakeStack();
    await run(join(repo, 'docker', 'bundle.sh'), ['all', repo, out], { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  }, 600_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('the Dockerfile runs the same steps and copies each bundle into its own target', () => {
    const dockerfile = readFileSync(join(repo, 'docker', 'Dockerfile'), 'utf8');
    for (const step of ['bundle.sh prune /repo /work', 'bundle.sh install /work', 'bundle.sh build /work', 'bundle.sh deploy /work /out']) expect(dockerfile).toContain(step);
    for (const app of APPS) {
      expect(dockerfile).toMatch(new RegExp(`FROM runtime AS ${app}\\nCOPY --from=build /out/${app} /app`));
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "dist\/main.js"\]/);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it.each(APPS)('%s: production dependencies only, starts from its folder and answers /healthz', async (app) => {
    const dir = join(out, app);
    expect(existsSync(join(dir, 'dist', 'main.js'))).toBe(true);
    for (const dev of DEV_ONLY) expect({ app, dev, present: existsSync(join(dir, 'node_modules', dev)) }).toEqual({ app, dev, present: false });
    const port = await freePort();
    const env = stack.env({
      NODE_ENV: 'production',
      MCP_LOG_LEVEL: 'info',
      REST_PORT: String(port),
      WS_PORT: String(port),
      MCP_HTTP_PORT: String(port),
      WORKER_METRICS_PORT: String(port),
      ...(app === 'mcp-gateway' ? { MCP_TRANSPORT: 'http' } : {}),
    });
    const proc = await spawnService({ script: join(dir, 'dist', 'main.js'), env, readyText: APP_READY_TEXT[app], cwd: dir });
    procs.push(proc);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, { timeoutMs: 10_000, what: `${app} /healthz` });
    // SIGTERM (what tini forwards) stops it cleanly: exit 0 after an orderly shutdown.
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect({ app, code }).toEqual({ app, code: 0 });
  }, 60_000);
});
