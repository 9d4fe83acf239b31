import { PassThrough } from 'node:stream';
import { createLogger } from './logger';

/** A debug-level logger whose JSON lines are collected, parsed, for tests. */
export function captureLogger(secrets: string[] = []) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { logger: createLogger({ service: 'test', secrets, stream, level: 'debug' }), lines };
}
