import { captureLogger as capture } from './capture.test-helper';
import { repeatedLog } from './repeated';

describe('repeatedLog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const flushed = () => new Promise((r) => jest.requireActual<typeof import('timers')>('timers').setImmediate(r));

  it('logs the first at once, then one line per window that counts the rest, with the last one\'s fields', async () => {
    const { logger, lines } = capture();
    const warn = repeatedLog(logger, 'warn', 'could not publish event', 1_000);
    warn({ requestId: 'r1' });
    for (let i = 2; i <= 500; i++) warn({ requestId: `r${i}` });
    await flushed();
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', message: 'could not publish event', requestId: 'r1' })]);
    jest.advanceTimersByTime(1_000);
    await flushed();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'could not publish event', requestId: 'r500', repeated: 499 });
    // Quiet, then again: logged at once, as a first.
    jest.advanceTimersByTime(10_000);
    warn({ requestId: 'again' });
    await flushed();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ requestId: 'again' });
    expect(lines[2]).not.toHaveProperty('repeated');
  });

  it('a message that does not repeat is one line, with no summary after it', async () => {
    const { logger, lines } = capture();
    repeatedLog(logger, 'error', 'worker error', 1_000)({ err: 'once' });
    jest.advanceTimersByTime(5_000);
    await flushed();
    expect(lines).toEqual([expect.objectContaining({ level: 'error', message: 'worker error', err: 'once' })]);
  });
});
