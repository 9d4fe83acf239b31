import { freePort, spawnApp, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

const KEY_A = 'threads-key-a-0123456789';
const KEY_B = 'threads-key-b-0123456789';

type Result<T> = { success: boolean; result?: T; error?: { code: string; message: string } };
type ThreadList = { threads: Array<{ continuation_id: string; title: string; turns: number; models: string[]; cost_usd: number }>; more: boolean; offset: number; retention_seconds: number };
type ThreadOut = { continuation_id: string; title: string; turns: Array<{ role: string; content: string; models?: string[] }> };

/**
 * Issue 30.5: threads you can find again. A caller who lost its context lists its conversations
 * (newest first, paged, with title, turns, models and cost) and reads one back, through the REST
 * door, before and after that door restarts; another key's thread is not found and not listed.
 */
describe('list_threads and get_thread', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let env: Record<string, string>;
  let base = '';
  const door = async () => {
    const port = await freePort();
    const p = await spawnApp('rest-bridge', { ...env, REST_PORT: String(port) });
    procs.push(p);
    base = `http://127.0.0.1:${port}`;
    return p;
  };
  beforeAll(async () => {
    stack = await startFakeStack();
    env = stack.env({ ORCH_RATE_LIMIT: '0', ORCH_API_KEYS: `${KEY_A},${KEY_B}` });
    procs.push(await spawnApp('worker-openrouter', env), await spawnApp('worker-openai', env));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  const call = async <T>(key: string, tool: string, args: Record<string, unknown>): Promise<{ status: number; body: Result<T> }> => {
    const res = await fetch(`${base}/mcp/${tool}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(args) });
    return { status: res.status, body: (await res.json()) as Result<T> };
  };
  const ask = async (key: string, args: Record<string, unknown>) => (await call<{ continuation_id: string; status: string }>(key, 'query_specific_model', args)).body.result!;

  it('lists a caller\'s conversations newest first, paged, and reads one back; the same after the door restarts; another key finds neither', async () => {
    const first = await door();
    const one = await ask(KEY_A, { model: 'gemini_pro', description: 'How should we cache sessions?\nMore detail here.' });
    expect(one.status).toBe('completed');
    expect((await ask(KEY_A, { model: 'o3_architect', description: 'And the eviction policy?', continuation_id: one.continuation_id })).status).toBe('completed');
    const two = await ask(KEY_A, { model: 'o3_architect', description: 'Pick a queue library' });
    await ask(KEY_B, { model: 'gemini_pro', description: "B's own question" });

    const check = async () => {
      const list = (await call<ThreadList>(KEY_A, 'list_threads', {})).body.result!;
      expect(list.threads.map((t) => [t.continuation_id, t.title, t.turns, [...t.models].sort()])).toEqual([
        [two.continuation_id, 'Pick a queue library', 1, ['o3_architect']],
        [one.continuation_id, 'How should we cache sessions?', 2, ['gemini_pro', 'o3_architect']],
      ]);
      expect(list.threads.every((t) => t.cost_usd > 0)).toBe(true);
      expect(list.more).toBe(false);
      expect(list.retention_seconds).toBe(86400);
      const page = (await call<ThreadList>(KEY_A, 'list_threads', { limit: 1, offset: 1 })).body.result!;
      expect(page).toMatchObject({ offset: 1, more: false, threads: [expect.objectContaining({ continuation_id: one.continuation_id })] });
      expect((await call<ThreadList>(KEY_A, 'list_threads', { limit: 1 })).body.result!.more).toBe(true);

      const thread = (await call<ThreadOut>(KEY_A, 'get_thread', { continuation_id: one.continuation_id })).body.result!;
      expect(thread.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(thread.turns[2]!.content).toContain('And the eviction policy?');
      expect(thread.turns[3]!.models).toEqual(['o3_architect']);
      // A thread of one request reads back from its record.
      expect((await call<ThreadOut>(KEY_A, 'get_thread', { continuation_id: two.continuation_id })).body.result!.turns).toHaveLength(2);

      // Another key: A's thread is not found, and B lists only its own.
      const other = await call<ThreadOut>(KEY_B, 'get_thread', { continuation_id: one.continuation_id });
      expect(other.status).toBe(404);
      expect(other.body.error?.code).toBe('not_found');
      expect((await call<ThreadList>(KEY_B, 'list_threads', {})).body.result!.threads.map((t) => t.title)).toEqual(["B's own question"]);
    };
    await check();
    // A client that lost its context, and a door that restarted: the threads are in Redis.
    await first.kill();
    await door();
    await check();
  });

  it('bad arguments name the field', async () => {
    await door();
    const r = await call(KEY_A, 'list_threads', { limit: 500 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('limit') });
  });
});
