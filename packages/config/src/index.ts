export { ConfigSchema, ProviderSchema, ModelSchema, RateLimitSchema, BoolSchema, LOG_LEVELS } from './schema';
export type { Config, ConfigInput, ProviderConfig, ModelConfig } from './schema';
export { DEFAULT_CONFIG } from './defaults';
export { ENV_BINDINGS } from './env';
export { loadConfig, loadConfigOrExit, configSecrets, installedConfigFile, ConfigError, seedSpellingsOf } from './load-config';
export type { LoadConfigOptions } from './load-config';
export { ledgerRetention, resolveModel, enabledModelKeys, modelsOnQueue, priceFor, costFromUsage, roundUsd } from './models';
export type { ResolvedModel } from './models';
