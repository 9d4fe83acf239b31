// One raw HTTP request (node:http, not fetch: the fuzzer sends what fetch refuses to: foreign Host
// headers, lying encodings, bad escapes). Resolves with the status and the body as text; a
// connection the server cuts shows as status 0 with the error.
import { request } from 'node:http';

export function httpRaw(port, { method = 'GET', path = '/', headers = {}, body, timeoutMs = 20_000 }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        // SSE streams and big answers: the first 64 KB tell whether it went wrong.
        if (size < 65_536) chunks.push(c);
        size += c.length;
        if (res.headers['content-type']?.startsWith('text/event-stream') && size > 0) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: err.message, ms: Date.now() - started }));
    req.end(body);
  });
}
