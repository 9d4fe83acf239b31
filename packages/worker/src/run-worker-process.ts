import type { QueueKey } from '@orch/contracts';
import { configSecrets, loadConfigOrExit } from '@orch/config';
import { createLogger } from '@orch/logging';
import { installShutdown } from '@orch/process';
import { startProviderWorker } from './provider-worker';

export interface RunWorkerProcessOptions {
  queue: QueueKey;
  /** Name on every log line (`worker-openai`). */
  service: string;
}

/**
 * The whole life of a worker process, top to bottom: config → logger → worker → signal handlers.
 * A bad setting stops the process at start with one message naming every problem.
 */
export async function runWorkerProcess(opts: RunWorkerProcessOptions): Promise<void> {
  const config = loadConfigOrExit(opts.service);
  const logger = createLogger({ service: opts.service, level: config.logging.level, secrets: configSecrets(config) });
  try {
    const worker = await startProviderWorker({ config, queue: opts.queue, logger });
    installShutdown({
      logger,
      // Room for active jobs to finish, plus time to hand the rest back and close connections.
      timeoutMs: config.worker.shutdownTimeoutMs + 15_000,
      close: () => worker.close(),
    });
  } catch (err) {
    logger.error('worker failed to start', { err: (err as Error).message });
    process.exit(1);
  }
}
