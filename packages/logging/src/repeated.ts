import type { Logger } from './logger';

/**
 * Logs a message that repeats (once per retry, per event, per connection attempt while Redis is
 * away) at most once per `windowMs`: the first at once; the ones after it within the window are
 * counted and logged as one line when the window ends, with the last one's fields and
 * `repeated: N`. An outage of a minute is a few lines, not thousands, and none is lost from the count.
 */
export function repeatedLog(logger: Logger, level: 'warn' | 'error', message: string, windowMs = 5_000): (meta?: Record<string, unknown>) => void {
  let windowEnds = 0;
  let repeated = 0;
  let lastMeta: Record<string, unknown> = {};
  let flush: NodeJS.Timeout | undefined;
  return (meta = {}) => {
    const now = Date.now();
    if (now >= windowEnds) {
      windowEnds = now + windowMs;
      logger.log(level, message, meta);
      return;
    }
    repeated++;
    lastMeta = meta;
    if (flush) return;
    flush = setTimeout(() => {
      flush = undefined;
      logger.log(level, message, { ...lastMeta, repeated });
      repeated = 0;
    }, windowEnds - now);
    flush.unref();
  };
}
