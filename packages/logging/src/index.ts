export { createLogger } from './logger';
export type { Logger, CreateLoggerOptions } from './logger';
export { createRedactor, createScrubber, holdsCredential, MIN_LITERAL_SECRET, REDACTED } from './redact';
export type { Redactor, Scrubber } from './redact';
export { repeatedLog } from './repeated';
