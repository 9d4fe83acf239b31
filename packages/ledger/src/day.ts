/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayOf(ts: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ts);
}

/** The instant the day containing `ts` ends in `timeZone` (DST-safe: found by search, not arithmetic). */
export function dayEndsAt(ts: number, timeZone: string): number {
  const today = dayOf(ts, timeZone);
  let lo = ts;
  let hi = ts + 27 * 3600_000;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayOf(mid, timeZone) === today) lo = mid;
    else hi = mid;
  }
  // `hi` is within a second after the change; days change on whole minutes in every zone.
  return Math.floor(hi / 60_000) * 60_000;
}
