import { join } from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { freePort, spawnService } from '@orch/testing';
import { gatewaySuite } from './suite';

// Issue 27.3: a call whose worst case is above the caller's approval threshold asks first, on both
// protocol eras; it runs once on acceptance, spends nothing on a decline, and refuses tampered or
// replayed approvals. Clients that cannot be asked get an error that says how to proceed.
const GATEWAY = join(__dirname, '..', 'dist', 'main.js');
const MODERN = '2026-07-28';
const PROMPT = 'Approve me';
const textOf = (r: unknown) => ((r as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '');
type Json = Record<string, unknown>;

describe('spend approval before a costly call', () => {
  const suite = gatewaySuite('sa');
  const env = () => suite.env({ MCP_APPROVAL_THRESHOLD_USD: '0.00001', MCP_STATE_SECRET: 'another-test-state-secret-of-32-chars+', WORKER_ATTEMPTS: '1' });
  /** Provider calls that carried the prompt: what was sent (and so billed). */
  const sent = () => suite.stack().openrouter.requests.filter((q) => JSON.stringify(q.body.messages).includes(PROMPT)).length;
  const call = { name: 'query_specific_model', arguments: { model: 'gemini_pro', description: PROMPT } };

  async function httpGateway() {
    const port = await freePort();
    suite.track(await spawnService({ script: GATEWAY, args: ['--with-workers'], env: { ...env(), MCP_HTTP_PORT: String(port), MCP_TRANSPORT: 'http' }, readyText: 'MCP Streamable HTTP listening' }));
    return `http://127.0.0.1:${port}/mcp`;
  }

  let rpcId = 0;
  async function rpc(url: string, params: Json) {
    const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': call.name },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { ...call, ...params, _meta: meta } }),
    });
    const text = await res.text();
    const data = text.split('\n').filter((l) => l.startsWith('data: ')).pop();
    return JSON.parse(data ? data.slice(6) : text) as { result?: Json & { requestState?: string; inputRequests?: Json }; error?: { code: number; message: string } };
  }
  const accept = { approve_spend: { action: 'accept', content: { approve: true } } };

  it('2026-07-28 (v2 client): accept runs the call once; decline sends nothing', async () => {
    const url = await httpGateway();
    for (const [answer, runs] of [[{ action: 'accept', content: { approve: true } }, 1], [{ action: 'decline' }, 0]] as const) {
      const client = new ModernClient({ name: 'approver', version: '1' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: MODERN } } });
      const asked: string[] = [];
      client.setRequestHandler('elicitation/create', async (req) => {
        asked.push(String((req.params as { message?: string }).message));
        return answer;
      });
      await client.connect(new ModernHttp(new URL(url)));
      const before = sent();
      try {
        const r = await client.callTool(call);
        expect(asked).toEqual([expect.stringMatching(/^query_specific_model may cost up to \$[\d.]+ \(worst case: gemini_pro; .*above your approval threshold of \$0\.00\..* Approve this spend\?$/)]);
        if (runs) expect({ isError: r.isError ?? false, text: textOf(r) }).toEqual({ isError: false, text: expect.stringContaining(`echo: ${PROMPT}`) });
        else expect({ isError: r.isError, text: textOf(r) }).toEqual({ isError: true, text: expect.stringMatching(/^Error \(cancelled\): You declined .* nothing was spent/) });
        expect(sent() - before).toBe(runs);
      } finally {
        await client.close();
      }
    }
  });

  it('2026-07-28: a tampered approval and a replayed one are refused, and send nothing', async () => {
    const url = await httpGateway();
    const asked = await rpc(url, {});
    expect(asked.result).toMatchObject({ resultType: 'input_required', inputRequests: { approve_spend: { method: 'elicitation/create' } }, requestState: expect.any(String) });
    const state = asked.result!.requestState!;
    const tampered = await rpc(url, { inputResponses: accept, requestState: `${state.slice(0, -2)}xx` });
    expect(tampered.error?.code).toBe(-32602);
    const otherCall = await rpc(url, { arguments: { model: 'gemini_pro', description: 'Something dearer' }, inputResponses: accept, requestState: state });
    expect(otherCall.error).toMatchObject({ code: -32602, message: expect.stringContaining('another call') });
    expect(sent()).toBe(0);
    const ran = await rpc(url, { inputResponses: accept, requestState: state });
    expect(textOf(ran.result)).toContain(`echo: ${PROMPT}`);
    const replayed = await rpc(url, { inputResponses: accept, requestState: state });
    expect(replayed.error).toMatchObject({ code: -32602, message: expect.stringContaining('used already') });
    expect(sent()).toBe(1);
  });

  it('2025 over stdio (v1 client with elicitation): the same question as elicitation/create; accept runs, decline does not', async () => {
    for (const [action, runs] of [['accept', 1], ['decline', 0]] as const) {
      const client = new Client({ name: 'approver', version: '1' }, { capabilities: { elicitation: {} } });
      client.setRequestHandler(ElicitRequestSchema, async () => (action === 'accept' ? { action, content: { approve: true } } : { action }));
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [GATEWAY, '--stdio', '--with-workers'], env: { PATH: process.env.PATH ?? '', ...env() }, stderr: 'pipe' }));
      const before = sent();
      try {
        const r = await client.callTool(call);
        expect({ isError: r.isError ?? false, ran: textOf(r).includes(`echo: ${PROMPT}`) }).toEqual({ isError: !runs, ran: runs === 1 });
        expect(sent() - before).toBe(runs);
      } finally {
        await client.close();
      }
    }
  });

  it('2025 over stateless HTTP (no way to ask): an approval_required error that says how to proceed, nothing sent', async () => {
    const url = await httpGateway();
    const client = new Client({ name: 'plain', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const r = await client.callTool(call);
      expect({ isError: r.isError, text: textOf(r) }).toEqual({ isError: true, text: expect.stringMatching(/^Error \(approval_required\): query_specific_model may cost up to .*approval_threshold_usd/) });
      expect(sent()).toBe(0);
      // Raising the threshold (0: off) lets the call through.
      await client.callTool({ name: 'configure_orchestrator', arguments: { approval_threshold_usd: 0 } });
      expect(textOf(await client.callTool(call))).toContain(`echo: ${PROMPT}`);
    } finally {
      await client.close();
    }
  });
});
