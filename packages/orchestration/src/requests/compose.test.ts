import type { ModelCallResult } from '@orch/contracts';
import { composeMessages } from './compose';

describe('composeMessages', () => {
  const spec = { intro: 'Answers:', instruction: 'Synthesise.' };
  const answer = (jobId: string, model: string, text: string) => ({ jobId, model, result: { text } as ModelCallResult });

  it('lists the answers in call order under their models and names the failed ones', () => {
    const msgs = composeMessages([{ role: 'system', content: 'S' }], spec, [
      answer('r.0', 'gemini_pro', ' first '),
      { jobId: 'r.1', model: 'o3_architect', error: { code: 'provider_auth', message: 'bad key\nstack', retryable: false } },
    ])!;
    expect(msgs[0]).toEqual({ role: 'system', content: 'S' });
    expect(msgs[1]!.content).toBe('Answers:\n\n### gemini_pro\nfirst\n\nThese models did not answer: o3_architect (provider_auth: bad key).\n\nSynthesise.');
  });

  it('gives nothing to synthesise when no child answered', () => {
    expect(composeMessages([], spec, [{ jobId: 'r.1', model: 'o3', error: { code: 'provider_error', message: 'x', retryable: false } }])).toBeUndefined();
  });
});
