import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';
import { freePort, spawnService } from '@orch/testing';
import { gatewaySuite } from './suite';

// Issue 27: the gateway as a client of the 2026-07-28 revision meets it, through the official v2
// client pinned to that revision (and, where that client has no API yet, raw JSON-RPC).
const GATEWAY = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENAI = join(__dirname, '..', '..', 'worker-openai', 'dist', 'main.js');
const WORKER_OPENROUTER = join(__dirname, '..', '..', 'worker-openrouter', 'dist', 'main.js');
const MODERN = '2026-07-28';
const TASKS = 'io.modelcontextprotocol/tasks';
const STATE_SECRET = 'a-test-state-secret-of-32-characters-or-more';

const textOf = (r: unknown) => ((r as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '');
const Loose = z.looseObject({});
type Json = Record<string, unknown>;

/** tasks/get until the task has ended (or 20 s passed), as a client polls. */
async function ended(client: Client, taskId: string): Promise<Json> {
  let task: Json = await client.request({ method: 'tasks/get', params: { taskId } }, Loose);
  for (let i = 0; i < 100 && task.status === 'working'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    task = await client.request({ method: 'tasks/get', params: { taskId } }, Loose);
  }
  return task;
}

describe('MCP 2026-07-28 with the v2 client', () => {
  const suite = gatewaySuite('p');
  const oa = () => suite.stack().openai;
  const or = () => suite.stack().openrouter;
  const env = (extra: Record<string, string> = {}) => suite.env({ MCP_STATE_SECRET: STATE_SECRET, WORKER_ATTEMPTS: '2', WORKER_BACKOFF_MS: '100', ...extra });

  async function workers(e: Record<string, string>) {
    suite.track(await spawnService({ script: WORKER_OPENAI, env: e, readyText: 'provider worker started' }));
    suite.track(await spawnService({ script: WORKER_OPENROUTER, env: e, readyText: 'provider worker started' }));
  }
  /** Workers and one HTTP gateway on a fresh queue prefix. */
  async function served() {
    const e = env();
    await workers(e);
    return { e, ...(await gateway(e)) };
  }
  async function gateway(e: Record<string, string>) {
    const port = await freePort();
    const gw = suite.track(await spawnService({ script: GATEWAY, env: { ...e, MCP_HTTP_PORT: String(port), MCP_TRANSPORT: 'http' }, readyText: 'MCP Streamable HTTP listening' }));
    return { url: `http://127.0.0.1:${port}/mcp`, gw };
  }

  function modernClient(capabilities: Json = {}) {
    return new Client({ name: 'v2-test', version: '1' }, { capabilities, versionNegotiation: { mode: { pin: MODERN } } });
  }
  const httpTransport = (url: string, key?: string) => new StreamableHTTPClientTransport(new URL(url), key ? { requestInit: { headers: { Authorization: `Bearer ${key}` } } } : undefined);

  /** One 2026-07-28 request over plain HTTP: what a client sends that the v2 client cannot (a task's creation). */
  let rpcId = 0;
  async function rpc(url: string, method: string, params: Json, opts: { caps?: Json; key?: string; headers?: Record<string, string> } = {}) {
    const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': opts.caps ?? {}, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } };
    const name = (params.name ?? params.taskId) as string | undefined;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': method,
        ...(name ? { 'mcp-name': name } : {}),
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...opts.headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params: { ...params, _meta: meta } }),
    });
    const text = await res.text();
    const data = text.split('\n').filter((l) => l.startsWith('data: ')).pop();
    const body = JSON.parse(data ? data.slice(6) : text) as { result?: Json; error?: { code: number; message: string; data?: Json } };
    return { status: res.status, ...body };
  }

  it('HTTP and stdio: connects through server/discover, lists tools, calls one, reads an error', async () => {
    const { e, url } = await served();
    const transports = [
      () => httpTransport(url),
      () => new StdioClientTransport({ command: process.execPath, args: [GATEWAY, '--stdio'], env: { PATH: process.env.PATH ?? '', ...e }, stderr: 'pipe' }),
    ];
    for (const transport of transports) {
      const client = modernClient();
      await client.connect(transport());
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
        const { tools } = await client.listTools();
        expect(tools).toHaveLength(16);
        const r = await client.callTool({ name: 'query_specific_model', arguments: { model: 'gemini_pro', description: 'Pinned call' } });
        expect({ isError: r.isError ?? false, text: textOf(r) }).toEqual({ isError: false, text: expect.stringContaining('echo: Pinned call') });
        const bad = await client.callTool({ name: 'orchestrate_task', arguments: { strategy: 'fastest' } });
        expect({ isError: bad.isError, text: textOf(bad) }).toEqual({ isError: true, text: expect.stringMatching(/^Error \(invalid_arguments\): description: .*strategy: /) });
      } finally {
        await client.close();
      }
    }
  });

  it('HTTP: version errors a probing client recognises, stamped results, a cached tools/list, 405 off POST', async () => {
    const e = env();
    const { url } = await gateway(e);
    const unsupported = await rpc(url, 'tools/list', {}, { headers: { 'mcp-protocol-version': '2099-01-01' } });
    expect(unsupported.status).toBe(400);
    const list = await rpc(url, 'tools/list', {});
    expect(list.result).toMatchObject({ resultType: 'complete', ttlMs: 300_000, cacheScope: 'public', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'mcp-orchestrator' } } });
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01', 'io.modelcontextprotocol/clientCapabilities': {} } } };
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' }, body: JSON.stringify(body) });
    const err = (await res.json()) as { error: { code: number; data: { supported: string[] } } };
    expect({ status: res.status, code: err.error.code, supported: err.error.data.supported }).toEqual({ status: 400, code: -32022, supported: expect.arrayContaining([MODERN]) });
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(405);
    // Bad params are -32602 naming the field (the SDK said -32603 with raw schema issues); the methods
    // 2026-07-28 removed are method-not-found.
    expect((await rpc(url, 'tools/list', { cursor: 5 })).error).toEqual({ code: -32602, message: 'Invalid params: params.cursor: Invalid input: expected string, received number' });
    expect((await rpc(url, 'initialize', {})).error?.code).toBe(-32601);
  });

  it('Tasks: a council becomes a task; tasks/get reads it while running and after its gateway was killed, from another replica', async () => {
    const e = env({ ORCH_API_KEYS: 'key-one-1234,key-two-5678' });
    await workers(e);
    const [first, second] = [await gateway(e), await gateway(e)];
    oa().setBehaviour({ latencyMs: 1500 });
    or().setBehaviour({ latencyMs: 1500 });
    const created = await rpc(first.url, 'tools/call', { name: 'orchestrate_task', arguments: { description: 'Durable council' } }, { caps: { extensions: { [TASKS]: {} } }, key: 'key-one-1234' });
    expect(created.result).toMatchObject({ resultType: 'task', status: 'working', taskId: expect.stringMatching(/^\w{26}$/), ttlMs: expect.any(Number), pollIntervalMs: expect.any(Number) });
    const taskId = created.result!.taskId as string;

    const client = modernClient({ extensions: { [TASKS]: {} } });
    await client.connect(httpTransport(second.url, 'key-one-1234'));
    try {
      const running = await client.request({ method: 'tasks/get', params: { taskId } }, Loose);
      expect(running).toMatchObject({ taskId, status: 'working' });
      first.gw.child.kill('SIGKILL');
      await first.gw.exited;
      const done = await ended(client, taskId);
      expect(done).toMatchObject({ status: 'completed', result: { structuredContent: { status: 'completed', request_id: taskId } } });
      expect(textOf(done.result)).toContain('echo: Durable council');

      // Bound to the key: another key's client does not find it.
      const other = await rpc(second.url, 'tasks/get', { taskId }, { caps: { extensions: { [TASKS]: {} } }, key: 'key-two-5678' });
      expect(other.error?.code).toBe(-32602);
      // A client that did not declare the extension is told which capability it lacks.
      const undeclared = await rpc(second.url, 'tasks/get', { taskId }, { key: 'key-one-1234' });
      expect(undeclared.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS]: {} } } } });
    } finally {
      await client.close();
    }
  });

  it('Tasks: tasks/cancel stops a running task: the provider call is aborted and the task reads cancelled', async () => {
    const { url } = await served();
    oa().addFault({ kind: 'hang' });
    const created = await rpc(url, 'tools/call', { name: 'think_deeper', arguments: { problem: 'Cancel me' } }, { caps: { extensions: { [TASKS]: {} } } });
    const taskId = created.result!.taskId as string;
    await oa().waitForRequest((q) => JSON.stringify(q.body.messages).includes('Cancel me'));
    const client = modernClient({ extensions: { [TASKS]: {} } });
    await client.connect(httpTransport(url));
    try {
      // An ack: no task envelope (the next tasks/get shows the status).
      const ack = await client.request({ method: 'tasks/cancel', params: { taskId } }, Loose);
      expect(Object.keys(ack).filter((k) => k !== '_meta')).toEqual([]);
      await oa().waitForAbort((q) => JSON.stringify(q.body.messages).includes('Cancel me'));
      expect(await client.request({ method: 'tasks/get', params: { taskId } }, Loose)).toMatchObject({ taskId, status: 'cancelled' });
    } finally {
      await client.close();
    }
  });

  it('stdio: a task created in one gateway process is read to its end and its result by the v2 client through another', async () => {
    const e = env();
    await workers(e);
    or().setBehaviour({ latencyMs: 800 });
    const first = spawn(process.execPath, [GATEWAY, '--stdio'], { env: { PATH: process.env.PATH ?? '', ...e }, stdio: ['pipe', 'pipe', 'ignore'] });
    let taskId = '';
    try {
      const lines = createInterface({ input: first.stdout! });
      const answer = new Promise<Json>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as Json)));
      const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { extensions: { [TASKS]: {} } } };
      first.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'query_specific_model', arguments: { model: 'gemini_pro', description: 'A stdio task' }, _meta: meta } })}\n`);
      const created = (await answer).result as Json;
      expect(created).toEqual(expect.objectContaining({ resultType: 'task', status: 'working' }));
      taskId = created.taskId as string;
    } finally {
      first.kill();
    }
    const client = modernClient({ extensions: { [TASKS]: {} } });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [GATEWAY, '--stdio'], env: { PATH: process.env.PATH ?? '', ...e }, stderr: 'pipe' }));
    try {
      const task = await ended(client, taskId);
      expect(task).toMatchObject({ taskId, status: 'completed' });
      expect(textOf(task.result)).toContain('echo: A stdio task');
    } finally {
      await client.close();
    }
    // Four processes start one after another here (two workers, two gateways): on a busy two-core
    // machine with every suite running beside it, that alone has taken most of the default 30 s.
  }, 60_000);

  it('2025-11-25 Tasks (the SDK v1 client, as VS Code speaks them): a council as a task, its status, its result, the list, cancel', async () => {
    const { url } = await served();
    oa().setBehaviour({ latencyMs: 800 });
    or().setBehaviour({ latencyMs: 800 });
    const client = new LegacyClient({ name: 'tasks-2025', version: '1' });
    await client.connect(new LegacyHttp(new URL(url)));
    try {
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'orchestrate_task')?.execution).toEqual({ taskSupport: 'optional' });
      const seen: string[] = [];
      let taskId = '';
      let result: unknown;
      for await (const m of client.experimental.tasks.callToolStream({ name: 'orchestrate_task', arguments: { description: 'A 2025 task' } }, undefined, { task: { ttl: 60_000 } })) {
        seen.push(m.type);
        if (m.type === 'taskCreated') taskId = m.task.taskId;
        if (m.type === 'result') result = m.result;
        if (m.type === 'error') throw m.error;
      }
      expect(seen[0]).toBe('taskCreated');
      expect(taskId).toMatch(/^\w{26}$/);
      expect(textOf(result)).toContain('echo: A 2025 task');
      expect(await client.experimental.tasks.getTask(taskId)).toMatchObject({ taskId, status: 'completed', ttl: expect.any(Number) });
      expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(taskId);

      oa().addFault({ kind: 'hang' });
      const created = await client.request({ method: 'tools/call', params: { name: 'think_deeper', arguments: { problem: 'Cancel a 2025 task' }, task: { ttl: 60_000 } } }, z.looseObject({ task: z.looseObject({ taskId: z.string() }) }));
      await oa().waitForRequest((q) => JSON.stringify(q.body.messages).includes('Cancel a 2025 task'));
      expect(await client.experimental.tasks.cancelTask(created.task.taskId)).toMatchObject({ taskId: created.task.taskId, status: 'cancelled' });
      await oa().waitForAbort((q) => JSON.stringify(q.body.messages).includes('Cancel a 2025 task'));
    } finally {
      await client.close();
    }
  });
});
