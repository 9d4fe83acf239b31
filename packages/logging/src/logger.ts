import pino from 'pino';
import { createRedactor, type Redactor } from './redact';

/** The levels MCP_LOG_LEVEL takes, most severe first (the config's LOG_LEVELS). */
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

export type LogMeta = Record<string, unknown>;

/** What every process logs through: a message and its metadata, one JSON line each. */
export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  log(level: LogLevel, message: string, meta?: LogMeta): void;
  /** A logger whose every line also carries `meta`. */
  child(meta: LogMeta): Logger;
}

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
  defaultMeta?: LogMeta;
  /** For tests: a stream to write to instead of the console. */
  stream?: NodeJS.WritableStream;
}

/** pino's numbers for our levels: the config's names, in their order (pino's own are not all of them). */
const LEVELS: Record<LogLevel, number> = { error: 50, warn: 40, info: 30, http: 25, verbose: 22, debug: 20, silly: 10 };

/**
 * JSON lines through pino: `level` (its name), `timestamp` (ISO), `service` (and a child's
 * fields), `message`, then the metadata. Every line's message, metadata and a child's fields go
 * through the redactor first (redact.ts). Outside MCP stdio mode, warnings and errors go to stderr and the rest
 * to stdout; writes are synchronous, so a line written before the process exits is not lost.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const redact = createRedactor(opts.secrets);
  const level = (opts.level ?? 'info').toLowerCase();
  const p = pino(
    {
      level: level in LEVELS ? level : 'info',
      customLevels: LEVELS,
      useOnlyCustomLevels: true,
      messageKey: 'message',
      base: redact({ service: opts.service, ...opts.defaultMeta }) as LogMeta,
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      // The redactor has made every Error a plain object already: pino's own `err` shape stays off.
      serializers: { err: (err: unknown) => err },
    },
    destination(opts),
  );
  return wrap(p, redact);
}

function destination(opts: CreateLoggerOptions): pino.DestinationStream {
  if (opts.stream) return opts.stream as pino.DestinationStream;
  const stderr = fd(2);
  if (opts.stderrOnly) return stderr;
  // With dedupe, a line goes to the one stream of the highest level it reaches.
  return pino.multistream(
    [
      { level: LEVELS.silly, stream: fd(1) },
      { level: LEVELS.warn, stream: stderr },
    ],
    { dedupe: true, levels: LEVELS },
  );
}

/** A descriptor written synchronously; a line that cannot be written (a closed pipe) is dropped, never thrown. */
function fd(dest: 1 | 2): pino.DestinationStream {
  const stream = pino.destination({ dest, sync: true });
  stream.on('error', () => undefined);
  return stream;
}

function wrap(p: pino.Logger<LogLevel, boolean>, redact: Redactor): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMeta) => {
    if (!p.isLevelEnabled(level)) return;
    // The message before the metadata (pino writes a message argument last); a `message` the
    // metadata carries is added to it, as winston did.
    const { message: more, ...rest } = (meta ? redact(meta) : {}) as LogMeta;
    const text = redact(String(message)) as string;
    p[level]({ message: more === undefined ? text : `${text} ${String(more)}`, ...rest });
  };
  return {
    error: (message, meta) => log('error', message, meta),
    warn: (message, meta) => log('warn', message, meta),
    info: (message, meta) => log('info', message, meta),
    debug: (message, meta) => log('debug', message, meta),
    log,
    child: (meta) => wrap(p.child(redact(meta) as LogMeta), redact),
  };
}
