/**
 * Polls `check` until it returns a truthy value or the timeout passes. For conditions that have no
 * event to wait on (a process's state, a Redis key). Never a fixed sleep.
 */
export async function waitFor<T>(check: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      // An error from an earlier round would mislead: the last round answered, only not yet.
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what ?? 'condition'}${last ? `: ${describe(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

/** An error and its causes (fetch's "fetch failed" says why only in its cause: ECONNREFUSED, a reset…). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(`${String(e)}${typeof code === 'string' && !String(e).includes(code) ? ` (${code})` : ''}`);
  }
  return parts.join(' ← cause: ');
}
