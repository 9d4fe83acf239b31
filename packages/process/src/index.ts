export { installShutdown } from './shutdown';
export type { ShutdownOptions } from './shutdown';
export { startHealthServer } from './health-server';
export type { HealthServerOptions } from './health-server';
