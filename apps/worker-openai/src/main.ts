import { runWorkerProcess } from '@orch/worker';

// A binding, not a program (docs/conventions.md: apps are bindings): this process serves the `openai` queue. Everything else —
// config, logging, the job loop, spend, progress, health and shutdown — lives in @orch/worker.
void runWorkerProcess({ queue: 'openai', service: 'worker-openai' });
