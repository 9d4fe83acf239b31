import { captureLogger as capture } from './capture.test-helper';
import { REDACTED } from './redact';

describe('createLogger', () => {
  it('writes JSON lines with service and metadata', async () => {
    const { logger, lines } = capture();
    logger.info('job done', { jobId: 'j1', promptTokens: 12 });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ level: 'info', message: 'job done', service: 'test', jobId: 'j1', promptTokens: 12 });
    expect(typeof lines[0]!.timestamp).toBe('string');
    expect(new Date(lines[0]!.timestamp as string).toISOString()).toBe(lines[0]!.timestamp);
  });

  it('masks secrets by key, by shape and by literal value, at any depth', async () => {
    const secret = 'my-ollama-secret-123';
    const { logger, lines } = capture([secret]);
    logger.warn(`provider said: bad key ${secret}`, {
      headers: { Authorization: 'Bearer abcdefghijklmnop', accept: 'json' },
      apiKey: 'sk-or-v1-0123456789abcdef',
      nested: { deeper: [{ note: 'key sk-proj-ABCDEFGHIJKLMNOP leaked' }, { note: 'a caller pasted orch_sk_Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4 here' }] },
    });
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('abcdefghijklmnop');
    expect(text).not.toContain('0123456789abcdef');
    expect(text).not.toContain('ABCDEFGHIJKLMNOP');
    expect(text).not.toContain('Zm9vYmFyYmF6cXV4');
    expect(lines[0]).toMatchObject({ apiKey: REDACTED, headers: { Authorization: REDACTED, accept: 'json' } });
  });

  it('keeps error messages but redacts secrets inside them', async () => {
    const { logger, lines } = capture(['supersecretvalue']);
    logger.error('call failed', { err: new Error('401 for key supersecretvalue') });
    await new Promise((r) => setImmediate(r));
    expect(JSON.stringify(lines[0])).toContain(`401 for key ${REDACTED}`);
    expect(lines[0]!.err).toEqual({ name: 'Error', message: `401 for key ${REDACTED}` });
  });

  it("a child's fields are on each of its lines, redacted like the rest", async () => {
    const { logger, lines } = capture(['childsecretvalue']);
    const child = logger.child({ requestId: 'r1', note: 'with childsecretvalue' });
    child.info('started', { attempt: 2 });
    logger.info('parent');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ level: 'info', message: 'started', service: 'test', requestId: 'r1', attempt: 2, note: `with ${REDACTED}` });
    expect(lines[1]).not.toHaveProperty('requestId');
  });

  it('writes the message before the metadata, a metadata `message` added to it', async () => {
    const { logger: root, raw } = capture();
    const logger = root.child({ requestId: 'r1' });
    logger.error('cannot reach Redis', { redis: 'cluster 127.0.0.1:7000' });
    logger.warn('provider said', { message: 'slow down', code: 429 });
    await new Promise((r) => setImmediate(r));
    const [first, second] = raw().split('\n');
    expect(first).toMatch(/^\{"level":"error","timestamp":"[^"]+","service":"test","requestId":"r1","message":"cannot reach Redis","redis":"cluster 127\.0\.0\.1:7000"\}$/);
    expect(JSON.parse(second!)).toMatchObject({ message: 'provider said slow down', code: 429 });
  });

  it('writes the levels MCP_LOG_LEVEL names at or above the one set, by name', async () => {
    const { logger, lines } = capture([], 'HTTP');
    logger.debug('not written');
    logger.log('verbose', 'not written');
    logger.log('http', 'an http line');
    logger.info('an info line');
    logger.error('an error line');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.message])).toEqual([['http', 'an http line'], ['info', 'an info line'], ['error', 'an error line']]);
  });
});
