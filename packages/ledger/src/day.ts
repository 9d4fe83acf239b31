const formatters = new Map<string, Intl.DateTimeFormat>();
/** Last answer per time zone, keyed by the minute: days change on whole minutes in every zone. */
const lastDay = new Map<string, { minute: number; day: string }>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayOf(ts: number, timeZone: string): string {
  const minute = Math.floor(ts / 60_000);
  const last = lastDay.get(timeZone);
  if (last?.minute === minute) return last.day;
  const day = formatter(timeZone).format(ts);
  lastDay.set(timeZone, { minute, day });
  return day;
}

/** The instant the day containing `ts` ends in `timeZone` (DST-safe: found by search, not arithmetic). */
export function dayEndsAt(ts: number, timeZone: string): number {
  const today = dayOf(ts, timeZone);
  let lo = ts;
  let hi = ts + 27 * 3600_000;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (formatter(timeZone).format(mid) === today) lo = mid;
    else hi = mid;
  }
  // `hi` is within a second after the change; days change on whole minutes in every zone.
  return Math.floor(hi / 60_000) * 60_000;
}

/** The instant the calendar month containing `ts` ends in `timeZone` (day by day, so DST-safe). */
export function monthEndsAt(ts: number, timeZone: string): number {
  const month = dayOf(ts, timeZone).slice(0, 7);
  let end = dayEndsAt(ts, timeZone);
  while (dayOf(end, timeZone).slice(0, 7) === month) end = dayEndsAt(end, timeZone);
  return end;
}
