// Fuzzes the WebSocket bridge: invalid JSON, binary frames, oversized messages, floods, wrong
// shapes and prototype-key methods, over a few sockets at once. A reply with code `internal`, a
// stack trace, or a close with 1011 (server error) is a failure; so is a socket the server drops
// without a code that says why.
import fc from 'fast-check';
import WebSocket from 'ws';
import { STACK_TRACE, deepJson, nastyString, wrongValue } from './gen.mjs';

const KINDS = ['invalid_json', 'binary', 'oversized', 'flood', 'wrong_shape', 'proto_method', 'tool_garbage', 'control_garbage', 'deep', 'valid_ping'];
const METHODS = ['list_models', 'query_specific_model', 'orchestrate_task', 'get_job_result', 'cancel_request', 'subscribe', 'unsubscribe', 'cancel', 'get_request', 'requests', 'ping', 'auth'];
/** Close codes that explain themselves: normal, going away, too big, policy, slow consumer, auth. */
const EXPLAINED = new Set([1000, 1001, 1005, 1008, 1009, 4008, 4401]);

function open(port, key) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { headers: { authorization: `Bearer ${key}` }, maxPayload: 64 * 1024 * 1024 });
    const replies = [];
    const closed = new Promise((r) => ws.once('close', (code) => r(code)));
    ws.on('message', (d) => replies.push(String(d)));
    ws.once('open', () => resolve({ ws, replies, closed }));
    ws.once('error', reject);
  });
}

export async function fuzzWs({ port, key, seed, count, maxMessageBytes }) {
  const cases = fc.sample(fc.record({ kind: fc.constantFrom(...KINDS), method: fc.constantFrom(...METHODS), value: wrongValue, text: nastyString, socket: fc.nat(3) }), { seed, numRuns: count });
  const failures = [];
  let sent = 0;
  let sockets = await Promise.all([0, 1, 2, 3].map(() => open(port, key)));
  const frames = (c, i) => {
    switch (c.kind) {
      case 'invalid_json':
        return [`{"id":${i},"method":"ping"`, String(c.text), '{"id": NaN}'];
      case 'binary':
        return [Buffer.from([0, 1, 2, 255, 254, ...Buffer.from(String(c.text))])];
      case 'oversized':
        return [JSON.stringify({ id: i, method: 'ping', params: { pad: 'x'.repeat(maxMessageBytes + 10) } })];
      case 'flood':
        return Array.from({ length: 300 }, (_, j) => JSON.stringify({ id: `${i}.${j}`, method: 'ping' }));
      case 'wrong_shape':
        return [JSON.stringify(c.value), JSON.stringify({ id: c.value, method: c.value, params: c.value })];
      case 'proto_method':
        return [JSON.stringify({ id: i, method: ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'][i % 5], params: {} })];
      case 'tool_garbage':
        return [JSON.stringify({ id: i, method: c.method, params: { model: c.value, description: c.value, problem: c.text, request_id: c.text, after: c.text, wait_seconds: c.value } })];
      case 'control_garbage':
        return [JSON.stringify({ id: i, method: c.method, params: { request_id: String(c.text), after: ['99999999999999999999', '1-99999999999999999999', String(c.text)][i % 3], limit: c.value } })];
      case 'deep':
        return [`{"id":${i},"method":"ping","params":{"x":${deepJson(20_000, i % 2 ? 'array' : 'object')}}}`];
      default:
        return [JSON.stringify({ id: i, method: 'ping' })];
    }
  };
  for (const [i, c] of cases.entries()) {
    let s = sockets[c.socket];
    if (s.ws.readyState !== WebSocket.OPEN) {
      const code = await s.closed;
      if (!EXPLAINED.has(code)) failures.push({ door: 'ws', kind: c.kind, closeCode: code });
      s = sockets[c.socket] = await open(port, key);
    }
    for (const f of frames(c, i)) {
      s.ws.send(f);
      sent++;
    }
    // Let the server breathe between cases, as a client waiting for a reply would.
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const s of sockets) {
    for (const r of s.replies) {
      let msg;
      try {
        msg = JSON.parse(r);
      } catch {
        failures.push({ door: 'ws', reply: r.slice(0, 200), problem: 'reply is not JSON' });
        continue;
      }
      if (msg.error?.code === 'internal' || STACK_TRACE.test(r)) failures.push({ door: 'ws', reply: r.slice(0, 300) });
    }
    s.ws.close();
  }
  sockets = [];
  return { door: 'ws', sent, failures };
}
