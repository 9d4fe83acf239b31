import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, spawnApp, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 16: budget alerts at 50%, 80% and 100% of the daily limit, once per window across every
 * process — a log line, a metric and a POST to ORCH_ALERT_WEBHOOK_URL in the shape Slack and
 * Discord take. Two workers share the day; calls go on until the limit refuses one; more refused
 * calls raise nothing new. The webhook fails its first try, so the retry is exercised too.
 */
describe('budget alerts', () => {
  let stack: FakeStack;
  let receiver: Server;
  const procs: ServiceProcess[] = [];
  const received: { text: string; content: string; alert: { percent: number; budget: string } }[] = [];
  let attempts = 0;
  let rest = '';

  beforeAll(async () => {
    stack = await startFakeStack();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // The first try fails: the alert must be retried, not lost.
        if (++attempts === 1) return void res.writeHead(503).end();
        received.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const env = stack.env({ MCP_DAILY_LIMIT: '0.004', ORCH_RATE_LIMIT: '0', ORCH_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
    const port = await freePort();
    procs.push(await spawnApp('worker-openrouter', { ...env, WORKER_METRICS_PORT: '0' }), await spawnApp('worker-openrouter', { ...env, WORKER_METRICS_PORT: '0' }));
    procs.push(await spawnApp('rest-bridge', { ...env, REST_PORT: String(port) }));
    rest = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    receiver.close();
    await stack.stop();
  });

  const call = async () => {
    const res = await fetch(`${rest}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'A short answer, please.', parameters: { max_tokens: 40 } }) });
    return (await res.json()) as { success: boolean; error?: { code: string } };
  };

  it('one alert per threshold crossed: 50, 80, then 100 when the limit refuses a call', async () => {
    let refused = 0;
    for (let i = 0; i < 60 && refused === 0; i++) if ((await call()).error?.code === 'budget_exceeded') refused++;
    expect(refused).toBe(1);
    for (let i = 0; i < 3; i++) expect((await call()).error?.code).toBe('budget_exceeded');

    await waitFor(() => received.length >= 3, { timeoutMs: 20_000, what: 'three webhook alerts' });
    expect(received.map((r) => r.alert.percent).sort((a, b) => a - b)).toEqual([50, 80, 100]);
    for (const r of received) {
      expect(r.text).toMatch(/^mcp-orchestrator: the daily budget (passed \d+%|is used up)/);
      expect(r.content).toBe(r.text);
    }
    // Raised once each across both workers: the log lines say so (written before each POST).
    const lines = procs.slice(0, 2).flatMap((p) => p.output().stdout.split('\n').concat(p.output().stderr.split('\n'))).filter((l) => l.includes('"message":"budget alert"'));
    expect(lines.length).toBe(3);
    expect(attempts).toBe(4);
  });
});
