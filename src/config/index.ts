export { ConfigError } from './errors.js';
export { loadConfig } from './load.js';
export type { ConfigFlags, LoadOptions, LoadResult } from './load.js';
export { envName, formatKey } from './keys.js';
export { failurePolicyFor, resolveLogFormat, resolveOutput } from './resolve.js';
export {
  AI_PRIVACY_MODES,
  AI_PROVIDERS,
  ConfigSchema,
  CONFIG_KEYS,
  defaultConfig,
  LOG_FORMATS,
  LOG_LEVELS,
  OUTPUT_FORMATS,
} from './schema.js';
export { DEFAULT_FAILURE_POLICY, FAILURE_POLICIES, type FailurePolicy } from './failure-policy.js';
export type {
  AiConfig,
  AiPrivacy,
  AiProvider,
  Config,
  LogFormat,
  LogLevel,
  OutputFormat,
  Thresholds,
} from './schema.js';
