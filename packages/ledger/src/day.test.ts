import { dayEndsAt, dayOf } from './day';

describe('dayOf', () => {
  it('answers per time zone and changes at local midnight, cached or not', () => {
    const beforeUtcMidnight = Date.parse('2026-03-01T23:59:30Z');
    const afterUtcMidnight = Date.parse('2026-03-02T00:00:10Z');
    // Alternate zones and instants so a stale cached answer would show.
    expect(dayOf(beforeUtcMidnight, 'UTC')).toBe('2026-03-01');
    expect(dayOf(beforeUtcMidnight, 'Asia/Tokyo')).toBe('2026-03-02');
    expect(dayOf(afterUtcMidnight, 'UTC')).toBe('2026-03-02');
    expect(dayOf(beforeUtcMidnight, 'UTC')).toBe('2026-03-01');
    expect(dayOf(afterUtcMidnight, 'America/New_York')).toBe('2026-03-01');
  });

  it('finds the end of a day across a DST change', () => {
    // New York springs forward on 2026-03-08: that day is 23 hours long.
    const ends = dayEndsAt(Date.parse('2026-03-08T12:00:00Z'), 'America/New_York');
    expect(new Date(ends).toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });
});
