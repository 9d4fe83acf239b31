import winston from 'winston';
import { createRedactor } from './redact';

export type Logger = winston.Logger;

export interface CreateLoggerOptions {
  level?: string;
  /** Service name put on every line (`mcp-gateway`, `worker-openai`, …). */
  service: string;
  /** Literal secrets to mask wherever they appear (configured API keys). */
  secrets?: readonly string[];
  /**
   * Write every level to stderr. Required in MCP stdio mode, where stdout carries the protocol.
   */
  stderrOnly?: boolean;
  /** Extra fields on every line. */
  defaultMeta?: Record<string, unknown>;
  /** For tests: a stream to write to instead of the console. */
  stream?: NodeJS.WritableStream;
}

const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/** JSON lines through winston, secrets redacted from the message and all metadata. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const redact = createRedactor(opts.secrets);
  const redactFormat = winston.format((info) => {
    const clean = redact({ ...info }) as Record<string, unknown>;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    Object.assign(info, clean);
    return info;
  });
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: opts.stderrOnly ? LEVELS : ['error', 'warn'] });
  return winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: { service: opts.service, ...opts.defaultMeta },
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), redactFormat(), winston.format.json()),
    transports: [transport],
    exitOnError: false,
  });
}
