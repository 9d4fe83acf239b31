import { freePort, spawnApp, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 16: bull-board at /admin/queues behind ORCH_ADMIN_KEY — a browser is asked for it (Basic,
 * the key as password), a script sends it as a Bearer key; a caller's API key is not enough; the
 * board lists the provider queues and the request queue, with a job a call left there. Without the
 * key configured the pages are off and say which variable turns them on.
 */
describe('admin pages: bull-board behind ORCH_ADMIN_KEY', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  const ADMIN = 'admin-key-0123456789abcdef';
  const CALLER = 'caller-key-for-admin-test';
  let base = '';
  let off = '';

  beforeAll(async () => {
    stack = await startFakeStack();
    const [port, offPort] = [await freePort(), await freePort()];
    const env = stack.env({ ORCH_API_KEYS: CALLER, ORCH_RATE_LIMIT: '0' });
    procs.push(await spawnApp('rest-bridge', { ...env, REST_PORT: String(port), ORCH_ADMIN_KEY: ADMIN }), await spawnApp('rest-bridge', { ...env, REST_PORT: String(offPort) }), await spawnApp('worker-openrouter', env));
    base = `http://127.0.0.1:${port}`;
    off = `http://127.0.0.1:${offPort}`;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });

  it('asks a browser for the key, and refuses a wrong one or a caller key', async () => {
    for (const headers of [{}, basic('wrong-key-0123456789'), { authorization: `Bearer ${CALLER}` }, basic(CALLER)]) {
      const res = await fetch(`${base}/admin/queues`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/ORCH_ADMIN_KEY/);
    }
  });

  it('serves the board with the key, listing every queue and a job a call left', async () => {
    const call = await fetch(`${base}/mcp/query_specific_model`, { method: 'POST', headers: { authorization: `Bearer ${CALLER}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'admin?' }) });
    expect(call.status).toBe(200);
    const page = await fetch(`${base}/admin/queues`, { headers: basic(ADMIN) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/mcp-orchestrator queues|bull-board/i);
    const api = await fetch(`${base}/admin/queues/api/queues?activeQueue=%7Bopenrouter%7D&status=completed`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(['{openai}', '{openrouter}', '{requests}']);
    expect(queues.find((q) => q.name === '{openrouter}')!.counts.completed).toBeGreaterThanOrEqual(1);
  });

  it('the dashboard counts a call in flight while its provider answers, and not once its request has ended (issues 17, 29)', async () => {
    stack.openrouter.setBehaviour({ latencyMs: 1500 });
    const inFlight = async () => ((await (await fetch(`${base}/dashboard/snapshot`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { inFlight: number }).inFlight;
    const call = await fetch(`${base}/mcp/query_specific_model?wait=false`, { method: 'POST', headers: { authorization: `Bearer ${CALLER}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'in flight?' }) });
    const { request_id: id } = (await call.json()) as { request_id: string };
    await stack.openrouter.waitForRequest((q) => JSON.stringify(q.body).includes('in flight?'));
    expect(await inFlight()).toBe(1);
    const res = await fetch(`${base}/requests/${id}?wait=30`, { headers: { authorization: `Bearer ${CALLER}` } });
    expect(((await res.json()) as { result: { status: string } }).result.status).toBe('completed');
    await waitFor(async () => ((await inFlight()) === 0 ? true : undefined), { timeoutMs: 5000, what: 'no call in flight' });
  });

  it('is off without ORCH_ADMIN_KEY, and says how to turn it on', async () => {
    const res = await fetch(`${off}/admin/queues`, { headers: basic(ADMIN) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/set ORCH_ADMIN_KEY/);
  });
});
