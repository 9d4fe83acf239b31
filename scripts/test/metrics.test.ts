import WebSocket from 'ws';
import { spawnApp, spawnFrontDoors, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
}

/**
 * Issue 16: /metrics of every front door (the MCP gateway's HTTP mode included) parses as
 * Prometheus text; a call through the door moves its tool-call counter and latency histogram, and
 * the spend gauges show what it booked; the queue gauges are there. Behind the key when keys are set.
 */
describe('front-door metrics', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  const KEY = 'metrics-test-key';
  const ADMIN = 'metrics-test-admin-key';
  const auth = { authorization: `Bearer ${KEY}` };
  const admin = { authorization: `Bearer ${ADMIN}` };
  const doors: Record<string, number> = {};

  beforeAll(async () => {
    stack = await startFakeStack();
    const env = stack.env({ ORCH_API_KEYS: KEY, ORCH_ADMIN_KEY: ADMIN, ORCH_RATE_LIMIT: '0' });
    Object.assign(doors, await spawnFrontDoors(env, procs));
    procs.push(await spawnApp('worker-openrouter', env));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  interface Scrape {
    families: Map<string, Family>;
    text: string;
  }
  const scrape = async (kind: string): Promise<Scrape> => {
    const res = await fetch(`http://127.0.0.1:${doors[kind]}/metrics`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, families: new Map(parsePrometheus(text).map((f) => [f.name, f])) };
  };
  /** One sample's value (0 when absent), read from the text: the parser drops histogram labels. */
  const value = ({ text }: Scrape, name: string, labels: Record<string, string>) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return Number(line?.split(' ').at(-1) ?? 0);
  };
  const callsTo = (s: Scrape, door: string) => value(s, 'orch_tool_call_duration_seconds_count', { tool: 'query_specific_model', door });

  const call: Record<string, () => Promise<void>> = {
    'rest-bridge': async () => {
      const res = await fetch(`http://127.0.0.1:${doors['rest-bridge']}/mcp/query_specific_model`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'metrics?' }) });
      expect(res.status).toBe(200);
    },
    'ws-bridge': () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${doors['ws-bridge']}`, { headers: auth });
        ws.on('open', () => ws.send(JSON.stringify({ id: 'm1', method: 'query_specific_model', params: { model: 'gemini_pro', description: 'metrics?' } })));
        ws.on('message', (data) => {
          const msg = JSON.parse(String(data)) as { id?: string; type: string };
          if (msg.id === 'm1' && (msg.type === 'result' || msg.type === 'error')) {
            ws.close();
            return msg.type === 'result' ? resolve() : reject(new Error(String(data)));
          }
        });
        ws.on('error', reject);
      }),
    'mcp-gateway': async () => {
      const body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'query_specific_model', arguments: { model: 'gemini_pro', description: 'metrics?' } } };
      const res = await fetch(`http://127.0.0.1:${doors['mcp-gateway']}/mcp`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/metrics\?/);
    },
  };

  it.each(['rest-bridge', 'ws-bridge', 'mcp-gateway'])('%s: a call moves the tool-call counter, the latency histogram and the spend gauges', async (door) => {
    const before = await scrape(door);
    for (const name of ['orch_tool_calls_total', 'orch_tool_call_duration_seconds', 'orch_refusals_total', 'orch_queue_jobs', 'orch_queue_oldest_waiting_seconds', 'orch_spend_usd', 'orch_spend_limit_usd', 'process_resident_memory_bytes']) {
      expect({ door, name, present: before.families.has(name) }).toEqual({ door, name, present: true });
    }
    const counted = { tool: 'query_specific_model', door, outcome: 'completed' };
    await call[door]!();
    // A WebSocket call is answered "accepted" and counted when its request ends: wait for that.
    const after = await waitFor(async () => {
      const s = await scrape(door);
      // The worker books the call just after it answers: wait for the spend gauge too.
      const moved = value(s, 'orch_tool_calls_total', counted) > value(before, 'orch_tool_calls_total', counted) && value(s, 'orch_spend_usd', { kind: 'spent' }) > value(before, 'orch_spend_usd', { kind: 'spent' });
      return moved ? s : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, what: 'the counter and the spend gauge to move' });
    expect(value(after, 'orch_tool_calls_total', counted)).toBe(value(before, 'orch_tool_calls_total', counted) + 1);
    expect(callsTo(after, door)).toBe(callsTo(before, door) + 1);
    expect(value(after, 'orch_spend_usd', { kind: 'spent' })).toBeGreaterThan(value(before, 'orch_spend_usd', { kind: 'spent' }));
    expect(value(after, 'orch_spend_usd', { kind: 'left' })).toBeLessThan(value(after, 'orch_spend_limit_usd', { limit: 'daily' }));
    expect(after.families.get('orch_queue_jobs')!.metrics.some((m) => m.labels?.queue === 'openrouter' && m.labels?.state === 'waiting')).toBe(true);
  });

  it('counts refusals: an unknown model is an invalid call, not a refusal; metrics need the admin key, a caller key is refused (issue 31.9)', async () => {
    const res = await fetch(`http://127.0.0.1:${doors['rest-bridge']}/mcp/query_specific_model`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', description: 'x' }) });
    expect(res.status).toBe(400);
    const after = await scrape('rest-bridge');
    expect(value(after, 'orch_tool_calls_total', { tool: 'query_specific_model', door: 'rest-bridge', outcome: 'unknown_model' })).toBe(1);
    expect(value(after, 'orch_refusals_total', { door: 'rest-bridge', reason: 'budget' })).toBe(0);
    for (const door of Object.keys(doors)) {
      expect((await fetch(`http://127.0.0.1:${doors[door]}/metrics`)).status).toBe(401);
      expect({ door, status: (await fetch(`http://127.0.0.1:${doors[door]}/metrics`, { headers: auth })).status }).toEqual({ door, status: 401 });
    }
  });
});
