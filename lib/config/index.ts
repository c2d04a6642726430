/**
 * Stack configuration: read once from Pulumi config, validated once with zod, then trusted.
 * Which file holds which config key: lib/config/README.md.
 */
export type { Character } from "../../characters/schema";
export {
  AGENT_SIZES,
  type AgentConfig,
  type AgentSize,
  DEFAULT_AGENT_SIZE,
  LOG_LEVELS,
  type LogLevel,
  MODEL_PROVIDERS,
  type ModelProvider,
  SIZE_LIMITS,
} from "./agent-schema";
export { type BackupS3Target, type BackupsConfig, DEFAULT_BACKUP_SCHEDULE } from "./backups";
export { type DatabaseConfig, DEFAULT_DATABASE_IMAGE, DEFAULT_DATABASE_MEMORY } from "./database";
export { checkDomain, imagePinProblem, parseImageReference } from "./formats";
export { CONFIG_NAMESPACE, KNOWN_KEYS, SECRET_KEYS } from "./keys";
export { BASE_URL_ENV, PROVIDER_PLUGINS } from "./model-provider";
export { rendezvousServer } from "./placement";
export { type ConfigProblem, StackConfigError } from "./problems";
export { readStackConfig } from "./read-pulumi-config";
export { RESERVED_ENV } from "./reserved-env";
export { MODEL_KEY_CONFIG } from "./secrets";
export type { ServerEntry } from "./servers";
export type { AgentSource, BuildSource, GitSource, ImageSource } from "./source-schema";
export { type ParseContext, parseStackConfig, type RawStackConfig, type StackConfig } from "./stack-config";
export type { SecretInput } from "./values";
