export { startRedis, REDIS_INSTALL_HINT } from './redis-server';
export type { RedisServerHandle, StartRedisOptions } from './redis-server';
export { freePort } from './ports';
export { waitFor } from './wait';
// The fake provider has a home of its own (the offline demo uses it too); tests get it from here.
export { startFakeProvider, faults, FAKE_OPENROUTER_PRICES, countPromptTokens, fakeAnswerText, fakeAnswerTokens } from '@orch/fake-provider';
export type { FakeProvider, FakeProviderOptions, RecordedRequest, GenerationRecord, Fault, FaultMatch, FakeFlavor, Behaviour, FakePrice } from '@orch/fake-provider';
export { spawnService, spawnApp, spawnFrontDoors, spawnStack, appScript, APP_READY_TEXT } from './service-process';
export type { ServiceProcess, SpawnServiceOptions, AppName, FrontDoorName } from './service-process';
export { startFakeStack, FAKE_KEYS } from './fake-stack';
export { startTestRedis, testRedisMode } from './test-redis';
export type { TestRedis, TestRedisMode } from './test-redis';
export { startRedisCluster, startSentinelGroup, SENTINEL_MASTER } from './redis-group';
export type { RedisGroup } from './redis-group';
export type { FakeStack } from './fake-stack';
export { acceptDrillCalls, drillResults, billedAndBooked } from './drill';
export type { DrillOutput } from './drill';
export { writeConfigFile } from './config-file';
