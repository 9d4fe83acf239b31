import type { Logger } from '@orch/logging';

export interface ShutdownOptions {
  logger: Logger;
  /** Stops intake, finishes or hands back work, closes connections. Called once. */
  close: (signal: string) => Promise<void>;
  /** Exit anyway after this long. */
  timeoutMs: number;
  exit?: (code: number) => void;
}

/**
 * One shutdown path for SIGTERM and SIGINT, idempotent, with a deadline. A stop that finished its
 * work and closed cleanly exits 0 (a deploy's routine stop is a success, not a failure: supervisors
 * and `pnpm` report non-zero codes as errors); a deadline or a failed close exits 1. Uncaught
 * errors are logged and exit 1 (the process state is unknown after one).
 */
export function installShutdown(opts: ShutdownOptions): (signal: string) => Promise<void> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    running ??= (async () => {
      opts.logger.info('shutting down', { signal });
      const force = setTimeout(() => {
        opts.logger.error('shutdown deadline passed; exiting', { signal, timeoutMs: opts.timeoutMs });
        exit(1);
      }, opts.timeoutMs);
      force.unref();
      try {
        await opts.close(signal);
        opts.logger.info('shutdown complete', { signal });
        clearTimeout(force);
        exit(0);
      } catch (err) {
        opts.logger.error('shutdown failed', { signal, err });
        exit(1);
      }
    })();
    return running;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (err) => {
    opts.logger.error('uncaught exception', { err });
    exit(1);
  });
  process.on('unhandledRejection', (err) => {
    opts.logger.error('unhandled rejection', { err });
    exit(1);
  });
  return shutdown;
}
