import { PartialBuffer } from './partial-buffer';

describe('PartialBuffer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends the first delta at once, then at most one batch per interval, losing nothing', () => {
    const sent: Array<[string, number]> = [];
    const buf = new PartialBuffer(250, (d, c) => sent.push([d, c]), () => Date.now());
    buf.push('Hel');
    expect(sent).toEqual([['Hel', 3]]);
    buf.push('lo');
    buf.push(', wor');
    expect(sent).toHaveLength(1);
    jest.advanceTimersByTime(250);
    expect(sent).toEqual([['Hel', 3], ['lo, wor', 10]]);
    buf.push('ld');
    buf.flush();
    expect(sent.map(([d]) => d).join('')).toBe('Hello, world');
    expect(sent[sent.length - 1]![1]).toBe(12);
  });

  it('discard drops pending text and its timer', () => {
    const sent: string[] = [];
    const buf = new PartialBuffer(250, (d) => sent.push(d), () => Date.now());
    buf.push('a');
    buf.push('b');
    buf.discard();
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual(['a']);
  });
});
