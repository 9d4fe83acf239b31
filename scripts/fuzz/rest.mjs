// Fuzzes the REST bridge from its own /openapi.json: every operation, with bodies broken in every
// way gen.mjs knows, bad content types and encodings, garbage path and query parameters.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { httpRaw } from './http.mjs';
import { BODY_MUTATIONS, STACK_TRACE, mutateBody, nastyString, sampleFromSchema, wrongValue } from './gen.mjs';

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; boundary=', ''];
const ENCODINGS = ['identity', 'gzip', 'gzip-garbage', 'deflate', 'br', 'foo', 'gzip, gzip'];

/** Percent-encodes any string, lone surrogates included (as U+FFFD's bytes). */
const enc = (value) => [...Buffer.from(String(value), 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** Fills `{id}` path parameters with garbage and adds garbage query parameters. */
function fuzzPath(template, value) {
  const v = enc(value).slice(0, 200);
  const pick = [v, '%ZZ', '..%2F..%2Fetc%2Fpasswd', 'A'.repeat(5000), '%F0%9F', '__proto__'];
  const id = pick[Math.abs(String(value).length) % pick.length];
  const path = template.replace('{id}', id);
  const query = ['', `?wait=${v}`, `?limit=${v}`, `?after=${v}`, '?cursor=99999999999999999999999', '?limit=1&limit=2', `?__proto__[x]=1`, '?wait=false'];
  return path + query[String(value).length % query.length];
}

export async function fuzzRest({ port, key, seed, count }) {
  // The operations to attack, from the whole document (httpRaw keeps only a body's first 64 KB).
  const doc = await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json();
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), schema: op.requestBody?.content?.['application/json']?.schema })));
  const cases = fc.sample(
    fc.record({
      op: fc.constantFrom(...ops),
      mutation: fc.constantFrom(...BODY_MUTATIONS),
      value: wrongValue,
      pathValue: nastyString,
      contentType: fc.constantFrom(...CONTENT_TYPES),
      encoding: fc.constantFrom(...ENCODINGS),
      auth: fc.constantFrom('good', 'good', 'good', 'good', 'good', 'good', 'none', 'wrong', 'malformed'),
      host: fc.constantFrom('localhost', 'localhost', 'localhost', 'localhost', '127.0.0.1', 'attacker.example', ''),
      r: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { seed, numRuns: count },
  );
  const failures = [];
  let done = 0;
  const statuses = new Map();
  const run = async (c) => {
    const rnd = ((x) => () => (x = (x * 9301 + 49297) % 233280) / 233280)(Math.floor(c.r * 233280));
    const path = c.op.path.includes('{id}') ? fuzzPath(c.op.path, c.pathValue) : c.op.path + (c.r < 0.2 ? `?wait=${enc(c.pathValue).slice(0, 100)}` : c.r < 0.3 ? '?wait=false' : '');
    const headers = { host: c.host };
    if (c.auth === 'good') headers.authorization = `Bearer ${key}`;
    else if (c.auth === 'wrong') headers.authorization = 'Bearer nope';
    else if (c.auth === 'malformed') headers.authorization = `Basic ${'\u00ff'.repeat(3)}`;
    let body;
    if (c.op.method === 'POST') {
      body = Buffer.from(mutateBody(sampleFromSchema(c.op.schema), c.op.schema, c.mutation, c.value, rnd), 'utf8');
      if (c.contentType) headers['content-type'] = c.contentType;
      if (c.encoding !== 'identity') {
        headers['content-encoding'] = c.encoding === 'gzip-garbage' ? 'gzip' : c.encoding;
        if (c.encoding === 'gzip') body = gzipSync(body);
      }
    } else if (c.r < 0.3) {
      headers['last-event-id'] = String(c.pathValue).replace(/[^\x20-\x7e]/g, '').slice(0, 100) || '99999999999999999999';
    }
    const res = await httpRaw(port, { method: c.op.method, path, headers, body });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500 || res.status === 0 || STACK_TRACE.test(res.body)) {
      failures.push({ door: 'rest', method: c.op.method, path: path.slice(0, 120), mutation: c.mutation, contentType: c.contentType, encoding: c.encoding, status: res.status, error: res.error, body: res.body.slice(0, 300) });
    }
    done++;
  };
  for (let i = 0; i < cases.length; i += 8) await Promise.all(cases.slice(i, i + 8).map(run));
  return { door: 'rest', sent: done, failures, statuses: Object.fromEntries(statuses) };
}
