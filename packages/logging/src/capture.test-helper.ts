import { PassThrough } from 'node:stream';
import { createLogger } from './logger';

/** A logger (debug level unless `level`) whose JSON lines are collected, parsed (`lines`) and as written (`raw()`), for tests. */
export function captureLogger(secrets: string[] = [], level = 'debug') {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { logger: createLogger({ service: 'test', secrets, stream, level }), lines, raw: () => text };
}
