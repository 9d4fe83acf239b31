import { isUnsure, parseVerdict } from './prompts';

describe('judge verdicts and unsure answers', () => {
  it('reads the verdict from the last lines only', () => {
    expect(parseVerdict('Both recommend Postgres.\n\nVERDICT: AGREE')).toBe('agree');
    expect(parseVerdict('They differ on sharding.\nVERDICT: disagree\n')).toBe('disagree');
    expect(parseVerdict('VERDICT: AGREE\n' + 'more text\n'.repeat(5))).toBe('unknown');
    expect(parseVerdict('no verdict here')).toBe('unknown');
  });

  it('treats a self-rated low confidence or hedging as unsure', () => {
    expect(isUnsure('Use a queue.\nCONFIDENCE: low')).toBe(true);
    expect(isUnsure('Use a queue.\nCONFIDENCE: high')).toBe(false);
    expect(isUnsure("I'm not sure, it depends on load.")).toBe(true);
    expect(isUnsure('Use a queue.')).toBe(false);
  });
});
