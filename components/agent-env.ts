import type { AgentConfig } from "../lib/config";
import { BASE_URL_ENV, MODEL_KEY_CONFIG } from "../lib/config";
import { frontDoorEnv } from "../lib/front-door";

/** The port the agent image listens on (SERVER_PORT) and the proxy forwards to. */
export const AGENT_PORT = 3000;

/**
 * ElizaOS's data directory (ELIZA_DATA_DIR: uploads, knowledge, local files; agent/Dockerfile
 * sets the same), where the agent's persistent storage is mounted.
 */
export const AGENT_DATA_DIR = "/app/agent/.eliza";

/** Seconds between SIGTERM and SIGKILL: ElizaOS stops its agents and closes its database pool. */
export const AGENT_STOP_GRACE_PERIOD_S = 30;

/**
 * Settings every deployed agent gets (notes/elizaos.md sections 2 and 6, agent/README.md):
 * production mode, no web UI (the API is token-protected, the UI would not be), JSON logs for
 * Coolify's log view, and nothing fetched at start: no runtime `bun add` of missing plugins
 * (the image carries its plugins), no `npm view` update check by the CLI, and no error reports
 * to elizaOS's own Sentry project, which an unset or empty SENTRY_DSN falls back to.
 */
export const AGENT_BASE_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: "production",
  SERVER_PORT: String(AGENT_PORT),
  SERVER_HOST: "0.0.0.0",
  ELIZA_UI_ENABLE: "false",
  ELIZA_NO_PLUGIN_AUTO_INSTALL: "true",
  ELIZA_NO_AUTO_INSTALL: "true",
  npm_config_offline: "true",
  SENTRY_DSN: "http://disabled@127.0.0.1:9/0",
  LOG_JSON_FORMAT: "true",
  // Set here too, so an image that does not set it still writes where the storage is mounted.
  ELIZA_DATA_DIR: AGENT_DATA_DIR,
};

/**
 * The plain (non-secret) part of an agent's environment. Secrets (database URL, model key, API
 * token, salt) are added by the component as Pulumi secrets.
 */
export function plainAgentEnv(agent: AgentConfig): Record<string, string> {
  const env: Record<string, string> = {
    ...AGENT_BASE_ENV,
    ...frontDoorEnv(agent.frontDoor),
    LOG_LEVEL: agent.logLevel,
    // The character goes in as JSON, so the stack's character file is what runs whatever the
    // image carries (agent/src/characters.ts reads it).
    AGENT_CHARACTER_JSON: JSON.stringify(agent.character),
    ...agent.env,
  };
  const baseUrlVar = BASE_URL_ENV[agent.modelProvider];
  if (agent.modelBaseUrl && baseUrlVar) env[baseUrlVar] = agent.modelBaseUrl;
  return env;
}

/** The env var that carries the model provider's key, or undefined (ollama needs none). */
export function modelKeyEnv(agent: AgentConfig): string | undefined {
  return agent.modelProvider === "ollama" ? undefined : MODEL_KEY_CONFIG[agent.modelProvider].env;
}

/** The secret values an agent gets, by what they are; agentSecretEnv names the variables. */
export interface AgentSecrets<T> {
  /** postgres:// URL of the database with pgvector. */
  databaseUrl: T;
  /** ELIZA_SERVER_AUTH_TOKEN, the X-API-KEY of the agent's API. */
  apiToken: T;
  /** SECRET_SALT, which encrypts the secrets ElizaOS stores in the database. */
  secretSalt: T;
  /** The model provider's key, when the provider needs one. */
  modelKey?: T;
}

/** The secret part of an agent's environment (the component stores these as Pulumi secrets). */
export function agentSecretEnv<T>(agent: AgentConfig, secrets: AgentSecrets<T>): Record<string, T> {
  const env: Record<string, T> = {
    POSTGRES_URL: secrets.databaseUrl,
    ELIZA_SERVER_AUTH_TOKEN: secrets.apiToken,
    SECRET_SALT: secrets.secretSalt,
  };
  const keyVar = modelKeyEnv(agent);
  if (keyVar && secrets.modelKey) env[keyVar] = secrets.modelKey;
  return env;
}
