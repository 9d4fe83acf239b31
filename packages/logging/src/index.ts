export { createLogger } from './logger';
export type { Logger, CreateLoggerOptions } from './logger';
export { createRedactor, REDACTED } from './redact';
export type { Redactor } from './redact';
