// The report of a client check script (test:npx, test:docker): one line per check, then a count.
/** Seconds since `since` (Date.now()), one decimal. */
export const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);

export function checks(name) {
  const results = [];
  return {
    check(what, ok, detail = '') {
      results.push(ok);
      process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}\n`);
    },
    /** Prints the count and exits: 1 when a check failed or none ran. */
    finish(suffix = '') {
      const failed = results.filter((ok) => !ok).length;
      process.stdout.write(`${name}: ${results.length - failed} of ${results.length} checks passed${suffix}\n`);
      process.exit(failed || results.length === 0 ? 1 : 0);
    },
  };
}
