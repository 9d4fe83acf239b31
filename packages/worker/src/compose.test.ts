import { composeMessages } from './compose';

describe('composeMessages', () => {
  const spec = { intro: 'Answers:', labels: { '0': 'gemini_pro', '1': 'o3_architect' }, instruction: 'Synthesise.' };
  const result = (callIndex: number, text: string) => ({ callIndex, text });

  it('lists the answers in call order under their labels and names the failed ones', () => {
    const msgs = composeMessages([{ role: 'system', content: 'S' }], spec, {
      values: { 'bull:{openrouter}:r.0': result(0, 'first') },
      failures: { 'bull:{openai}:r.1': 'provider_auth: bad key\nstack' },
    })!;
    expect(msgs[0]).toEqual({ role: 'system', content: 'S' });
    expect(msgs[1]!.content).toBe('Answers:\n\n### gemini_pro\nfirst\n\nThese models did not answer: o3_architect (provider_auth: bad key).\n\nSynthesise.');
  });

  it('gives nothing to synthesise when no child answered', () => {
    expect(composeMessages([], spec, { values: {}, failures: { 'bull:{openai}:r.1': 'x' } })).toBeUndefined();
  });
});
