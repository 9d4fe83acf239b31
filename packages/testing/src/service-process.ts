import { APP_READY_TEXT, type AppName } from '@orch/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait';
import { freePort } from './ports';

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running, then wait for the exit. */
  kill(): Promise<void>;
}

export interface SpawnServiceOptions {
  /** Node script to run (an app's dist/main.js). */
  script: string;
  /** The whole environment of the child (PATH is added). Nothing else leaks in from the test. */
  env: Record<string, string>;
  /** Resolve once stdout or stderr contains this; omit to resolve at once. */
  readyText?: string;
  timeoutMs?: number;
  /** Working directory (default: the test's). */
  cwd?: string;
  /** Arguments after the script. */
  args?: string[];
  /** Node options before the script (e.g. `--require`). */
  nodeArgs?: string[];
}

/** Runs a built app as its own process, as production does, and waits for it to say it is ready. */
export async function spawnService(opts: SpawnServiceOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.script, ...(opts.args ?? [])], { env: { PATH: process.env.PATH ?? '', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let stopping = false;
  const testPath = currentTestPath();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      // A process that fails on its own (not stopped by a test's signal) says why in the test's output.
      if (code) process.stderr.write(`\n[${opts.script} exited with ${code}] ${stderr.slice(-2000)}\n`);
      if (!stopping && (code || signal)) recordExit({ testPath, script: opts.script, code, signal, stderrTail: stderr.slice(-600) });
      resolve({ code, signal });
    }),
  );
  const proc: ServiceProcess = {
    child,
    pid: child.pid!,
    output: () => ({ stdout, stderr }),
    exited,
    async kill() {
      stopping = true;
      // A test that failed on what a process answered is explained by what it logged as an error.
      const errors = stderr.split('\n').filter((l) => l.includes('"level":"error"'));
      if (errors.length) recordExit({ testPath, script: opts.script, errors: errors.slice(-3).map((l) => l.slice(0, 400)) });
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  if (opts.readyText) {
    const text = opts.readyText;
    await waitFor(() => stdout.includes(text) || stderr.includes(text) || child.exitCode !== null, { timeoutMs: opts.timeoutMs ?? 15_000, what: `"${text}" from ${opts.script}` });
    if (child.exitCode !== null && !(stdout + stderr).includes(text)) throw new Error(`${opts.script} exited with ${child.exitCode} before it was ready: ${stderr.slice(-1000)}`);
  }
  return proc;
}

/** The test file running now (Jest's), if any. */
function currentTestPath(): string | undefined {
  return (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect?.getState?.().testPath;
}

/**
 * The file where processes that ended on their own, and the last error lines of those a test
 * stopped, are listed (one JSON line each), in the test run's directory: `scripts/run-tests.mjs`
 * prints those of suites that failed beside their failures, so a CI log read from its tail says
 * that a door died, or what it logged as an error, and why.
 */
const SERVICE_EXITS_FILE = '.service-exits.jsonl';

/** A process that ended on its own (how, and its stderr's tail), or one a test stopped that logged errors. */
type ExitEntry = { testPath: string | undefined; script: string } & ({ code: number | null; signal: NodeJS.Signals | null; stderrTail: string } | { errors: string[] });

function recordExit(entry: ExitEntry): void {
  try {
    appendFileSync(join(process.cwd(), SERVICE_EXITS_FILE), `${JSON.stringify(entry)}\n`);
  } catch {
    // Diagnostics only.
  }
}

export { APP_READY_TEXT, type AppName };

/** The built entry point of an app in this repository (`apps/<name>/dist/main.js`). */
export const appScript = (name: AppName): string => join(__dirname, '..', '..', '..', 'apps', name, 'dist', 'main.js');

/**
 * Starts a built app as its own process and waits until it serves. Workers log their start at
 * info level, so MCP_LOG_LEVEL defaults to info here.
 */
export function spawnApp(name: AppName, env: Record<string, string>, opts: Pick<SpawnServiceOptions, 'nodeArgs'> = {}): Promise<ServiceProcess> {
  return spawnService({ script: appScript(name), env: { MCP_LOG_LEVEL: 'info', ...env }, readyText: APP_READY_TEXT[name], ...opts });
}

export type FrontDoorName = 'rest-bridge' | 'ws-bridge' | 'mcp-gateway';

/**
 * Starts the three front doors (the MCP gateway in HTTP mode) on free ports, one after another, and
 * adds each process to `procs` as soon as it runs (so a failed start still gets the others stopped).
 */
export async function spawnFrontDoors(env: Record<string, string>, procs: ServiceProcess[]): Promise<Record<FrontDoorName, number>> {
  const ports = {} as Record<FrontDoorName, number>;
  for (const [kind, portVar] of [['rest-bridge', 'REST_PORT'], ['ws-bridge', 'WS_PORT'], ['mcp-gateway', 'MCP_HTTP_PORT']] as const) {
    ports[kind] = await freePort();
    procs.push(await spawnApp(kind, { MCP_TRANSPORT: 'http', ...env, [portVar]: String(ports[kind]) }));
  }
  return ports;
}

/** The whole stack's processes: the three front doors (as spawnFrontDoors) and both provider workers. */
export async function spawnStack(env: Record<string, string>, procs: ServiceProcess[]): Promise<Record<FrontDoorName, number>> {
  const doors = await spawnFrontDoors(env, procs);
  procs.push(await spawnApp('worker-openrouter', env), await spawnApp('worker-openai', env));
  return doors;
}
