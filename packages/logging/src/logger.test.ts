import { captureLogger as capture } from './capture.test-helper';
import { REDACTED } from './redact';

describe('createLogger', () => {
  it('writes JSON lines with service and metadata', async () => {
    const { logger, lines } = capture();
    logger.info('job done', { jobId: 'j1', promptTokens: 12 });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ level: 'info', message: 'job done', service: 'test', jobId: 'j1', promptTokens: 12 });
    expect(typeof lines[0]!.timestamp).toBe('string');
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
  });
});
