import { adminGuard } from './admin-auth';

/** Issue 31.10: wrong admin keys are throttled per address and logged, not guessed at ~750 a second. */
describe('adminGuard', () => {
  it('lets the admin key in; after 10 wrong keys from one address, 429s it for the minute while others go on', async () => {
    const warned: Array<Record<string, unknown> | undefined> = [];
    const check = adminGuard('the-admin-key-0123456789', { warn: ((_m: string, meta?: Record<string, unknown>) => void warned.push(meta)) as never });
    expect(await check('Bearer the-admin-key-0123456789', '10.0.0.1', '/admin/keys')).toEqual({ ok: true });
    for (let i = 0; i < 10; i++) expect(await check(`Bearer guess-${i}`, '10.0.0.1', '/admin/keys')).toEqual({ ok: false, throttled: false });
    expect(await check('Bearer guess-10', '10.0.0.1', '/admin/keys')).toMatchObject({ ok: false, throttled: true, retryAfterSeconds: expect.any(Number) });
    expect(await check('Bearer the-admin-key-0123456789', '10.0.0.1', '/admin/keys')).toMatchObject({ ok: false, throttled: true });
    expect(await check('Bearer the-admin-key-0123456789', '10.0.0.2', '/admin/keys')).toEqual({ ok: true });
    // Logged: the first few refusals and the one that throttles, each with the address.
    expect(warned.map((m) => m?.failures)).toEqual([1, 2, 3, 10]);
    expect(warned.every((m) => m?.ip === '10.0.0.1')).toBe(true);
  });
});
