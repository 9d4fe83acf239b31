export { createRedis, waitForRedis, closeRedis } from './redis';
export type { RedisRole } from './redis';
export { requestKeys, threadKey, callerKeys, CANCEL_CHANNEL } from './keys';
export { PROVIDER_BACKOFF, queueName, modelCallJobOptions, modelCallJobId, providerBackoff } from './catalog';
export { RequestEvents } from './events';
export type { RequestEventsOptions, FollowOptions } from './events';
export { cancelRequest, isCancelled, subscribeCancellations } from './cancel';
export { ProviderQueues } from './queues';
export type { ModelCallQueue, QueuesOptions } from './queues';
