import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { ModelToolOutputSchema } from '@orch/contracts';
import { freePort, spawnService } from '@orch/testing';
import { gatewaySuite } from './suite';

// Issue 27.4: long calls for clients without Tasks (Claude Code, Claude Desktop): progress that says
// where the call is, and a call cut by a gateway stop answers with its request id, never silence.
const GATEWAY = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENAI = join(__dirname, '..', '..', 'worker-openai', 'dist', 'main.js');
const textOf = (r: unknown) => ((r as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '');

describe('long MCP calls without Tasks', () => {
  const suite = gatewaySuite('lc');

  async function start(extra: Record<string, string>) {
    const port = await freePort();
    const e = suite.env({ MCP_HTTP_PORT: String(port), ...extra });
    suite.track(await spawnService({ script: WORKER_OPENAI, env: e, readyText: 'provider worker started' }));
    const gw = suite.track(await spawnService({ script: GATEWAY, env: { ...e, MCP_TRANSPORT: 'http' }, readyText: 'MCP Streamable HTTP listening' }));
    const client = new Client({ name: 'long', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
    return { client, gw };
  }

  it('a heartbeat at least every MCP_PROGRESS_INTERVAL_MS tells the phase, the tokens and the USD so far', async () => {
    suite.stack().openai.setBehaviour({ latencyMs: 2500 });
    const { client } = await start({ MCP_PROGRESS_INTERVAL_MS: '400' });
    try {
      const seen: Array<{ at: number; message: string }> = [];
      const r = await client.callTool({ name: 'think_deeper', arguments: { problem: 'Slow and steady' } }, CallToolResultSchema, {
        onprogress: (p) => seen.push({ at: Date.now(), message: p.message ?? '' }),
        resetTimeoutOnProgress: true,
      });
      expect(textOf(r)).toContain('echo:');
      const beats = seen.filter((s) => s.message.startsWith('working'));
      expect(beats.length).toBeGreaterThan(1);
      expect(beats[0]!.message).toMatch(/^working \d+ s — o3_architect (waiting provider|started|queued)[^;]*; so far 0 answers, 0 tokens, \$0\.0000$/);
      // No silence longer than the interval (with room for a busy machine's timers).
      const gaps = seen.slice(1).map((s, i) => s.at - seen[i]!.at);
      expect(Math.max(...gaps)).toBeLessThan(400 * 4);
    } finally {
      await client.close();
    }
  });

  it('a call in flight when its gateway stops is answered with its request id and how to read it', async () => {
    suite.stack().openai.setBehaviour({ latencyMs: 60_000 });
    const { client, gw } = await start({ ORCH_SHUTDOWN_GRACE_MS: '300', MCP_SYNC_WAIT_SECONDS: '50' });
    try {
      const pending = client.callTool({ name: 'think_deeper', arguments: { problem: 'Cut short' } }, CallToolResultSchema, { timeout: 30_000 });
      await suite.stack().openai.waitForRequest((q) => JSON.stringify(q.body.messages).includes('Cut short'));
      gw.child.kill('SIGTERM');
      const r = await pending;
      const s = ModelToolOutputSchema.parse(r.structuredContent);
      expect(s).toMatchObject({ status: 'running', request_id: expect.stringMatching(/^\w{26}$/), message: expect.stringContaining('shutting down') });
      expect(textOf(r)).toContain(`get_job_result with request_id "${s.request_id}"`);
    } finally {
      await client.close();
    }
  });
});
