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
});
