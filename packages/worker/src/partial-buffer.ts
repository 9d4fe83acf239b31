/**
 * Collects streamed text and hands it on at most once per `flushMs` (leading edge, then trailing),
 * so a model writing 100 tokens/s costs the event stream a few writes a second, not 100.
 */
export class PartialBuffer {
  private buffer = '';
  private chars = 0;
  private lastFlush = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly flushMs: number,
    private readonly emit: (delta: string, chars: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  push(delta: string): void {
    if (!delta) return;
    this.buffer += delta;
    this.chars += delta.length;
    if (this.timer) return;
    const wait = this.lastFlush + this.flushMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends whatever is buffered now. Call before publishing the result. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.buffer) return;
    const delta = this.buffer;
    this.buffer = '';
    this.lastFlush = this.now();
    this.emit(delta, this.chars);
  }

  /** Drops anything pending (the call failed). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer = '';
  }
}
