import { providerBackoff, modelCallJobId } from './catalog';

describe('providerBackoff', () => {
  it('doubles from the base delay with ±20% jitter', () => {
    const mid = providerBackoff(1000, () => 0.5);
    expect([1, 2, 3, 4].map((n) => mid(n))).toEqual([1000, 2000, 4000, 8000]);
    expect(providerBackoff(1000, () => 0)(1)).toBe(800);
    expect(providerBackoff(1000, () => 1)(1)).toBe(1200);
  });
  it('waits at least as long as the provider asked (Retry-After)', () => {
    const b = providerBackoff(1000, () => 0.5);
    expect(b(1, 'provider', Object.assign(new Error('429'), { retryAfterMs: 7000 }))).toBe(7000);
    expect(b(3, 'provider', Object.assign(new Error('429'), { retryAfterMs: 100 }))).toBe(4000);
  });
  it('makes job ids without ":" (BullMQ forbids it)', () => {
    expect(modelCallJobId('01HXYZ', 2)).toBe('01HXYZ.2');
  });
});
