// Fuzzes the MCP gateway's Streamable HTTP door: malformed JSON-RPC, batches, unknown and wrong
// methods, tool calls with garbage arguments, and bad headers. A 5xx, a JSON-RPC -32603 (internal
// error) or a stack trace is a failure.
import fc from 'fast-check';
import { httpRaw } from './http.mjs';
import { STACK_TRACE, deepJson, nastyString, wrongValue } from './gen.mjs';

const TOOLS = ['list_models', 'query_specific_model', 'orchestrate_task', 'think_deeper', 'code_review', 'get_job_result', 'cancel_request', 'analyze_task', 'configure_orchestrator', 'update_session_context', 'constructor', '__proto__'];
const METHODS = ['initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'prompts/list', 'logging/setLevel', 'notifications/initialized', 'completion/complete', 'nope', '__proto__', ''];
const KINDS = ['bad_jsonrpc', 'batch', 'method', 'tool_call', 'bad_headers', 'deep', 'not_json'];

export async function fuzzMcp({ port, key, seed, count }) {
  const cases = fc.sample(fc.record({ kind: fc.constantFrom(...KINDS), method: fc.constantFrom(...METHODS), tool: fc.constantFrom(...TOOLS), value: wrongValue, text: nastyString, n: fc.nat(1000) }), { seed, numRuns: count });
  const failures = [];
  const statuses = new Map();
  const good = { host: 'localhost', authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const run = async (c) => {
    let headers = good;
    let body;
    const rpc = (method, params, id = c.n) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    switch (c.kind) {
      case 'bad_jsonrpc':
        body = JSON.stringify([{ jsonrpc: '1.0', id: 1, method: 'ping' }, { id: c.value, method: 'ping' }, { jsonrpc: '2.0', method: c.value }, { jsonrpc: '2.0', id: {}, method: 'ping' }, c.value][c.n % 5]);
        break;
      case 'batch':
        body = JSON.stringify(Array.from({ length: 1 + (c.n % 20) }, (_, i) => (i % 3 ? rpc('ping', undefined, i) : rpc('tools/call', { name: c.tool, arguments: c.value }, i))));
        break;
      case 'method':
        body = JSON.stringify(rpc(c.method, c.n % 2 ? c.value : {}));
        break;
      case 'tool_call':
        body = JSON.stringify(rpc('tools/call', c.n % 3 ? { name: c.tool, arguments: { model: c.value, description: c.text, request_id: c.text, problem: c.value, file_paths: [c.text, '.env', '../../etc/passwd'] } } : { name: c.value, arguments: c.value }));
        break;
      case 'bad_headers':
        headers = [
          { ...good, accept: 'text/html' },
          { ...good, 'content-type': 'text/plain' },
          { ...good, 'content-type': 'application/json; charset=latin1' },
          { ...good, 'content-encoding': 'foo' },
          { ...good, 'mcp-session-id': String(c.text).replace(/[^\x20-\x7e]/g, '') || 'x' },
          { ...good, 'mcp-protocol-version': '1999-01-01' },
          { ...good, host: 'evil.example' },
          { ...good, origin: 'https://evil.example' },
          { ...good, authorization: 'Bearer wrong' },
        ][c.n % 9];
        body = JSON.stringify(rpc('tools/list', {}));
        break;
      case 'deep':
        body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_models","arguments":${deepJson(c.n % 2 ? 20_000 : 70, c.n % 3 ? 'object' : 'array')}}}`;
        break;
      default:
        body = String(c.text);
    }
    const res = await httpRaw(port, { method: 'POST', path: '/mcp', headers, body });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500 || res.status === 0 || /"code":\s*-32603/.test(res.body) || STACK_TRACE.test(res.body)) {
      failures.push({ door: 'mcp', kind: c.kind, method: c.method, tool: c.tool, status: res.status, error: res.error, body: res.body.slice(0, 300) });
    }
  };
  for (let i = 0; i < cases.length; i += 8) await Promise.all(cases.slice(i, i + 8).map(run));
  return { door: 'mcp', sent: cases.length, failures, statuses: Object.fromEntries(statuses) };
}
