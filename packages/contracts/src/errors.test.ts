import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, ErrorInfoSchema, OrchestratorError, toErrorInfo } from './index';

describe('error codes', () => {
  it('documents every code in the package README', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const code of Object.keys(ERROR_CODES)) {
      expect(readme).toContain(`\`${code}\``);
    }
  });

  it('turns a coded error into an ErrorInfo that validates', () => {
    const info = new OrchestratorError('budget_exceeded', 'daily limit reached', { details: { limit: 'daily' } }).toInfo();
    expect(ErrorInfoSchema.parse(info)).toEqual({
      code: 'budget_exceeded',
      message: 'daily limit reached',
      retryable: false,
      details: { limit: 'daily' },
    });
  });

  it('hides unknown errors behind a generic internal error', () => {
    const info = toErrorInfo(new TypeError('secret stack detail at /srv/x.js:1'));
    expect(info).toEqual({ code: 'internal', message: 'Internal error', retryable: false });
  });

  // Issue 31.3: Redis answering but refusing is a truthful, retryable `unavailable`, never `internal`.
  it.each([
    ["OOM command not allowed when used memory > 'maxmemory'.", 'Redis is full'],
    ["OOM command not allowed when used memory > 'maxmemory'. script: 5ab4, on @user_script:589.", 'Redis is full'],
    ["READONLY You can't write against a read only replica.", 'read-only'],
    ['MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.', 'cannot save to disk'],
    ['LOADING Redis is loading the dataset in memory', 'loading'],
  ])('Redis refusing (%s) is unavailable: %s', (message, says) => {
    const info = toErrorInfo(Object.assign(new Error(message), { name: 'ReplyError' }));
    expect(info).toMatchObject({ code: 'unavailable', retryable: true, message: expect.stringContaining(says), details: { retry_after_seconds: expect.any(Number) } });
  });

  it('a MULTI a full Redis discarded (EXECABORT) is told by its cause', () => {
    const err = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error("OOM command not allowed when used memory > 'maxmemory'.")] });
    expect(toErrorInfo(err)).toMatchObject({ code: 'unavailable', message: expect.stringContaining('Redis is full') });
  });
});
