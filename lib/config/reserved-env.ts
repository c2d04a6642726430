/** An agent's `env`: names the program sets itself, and names that look like secrets. */
import { ns } from "./keys";
import { type Problems, pathSuffix } from "./problems";

/**
 * Env vars the program sets itself, with the config that controls each. An agent's `env` may
 * not set them, so there is one place to change each value.
 */
export const RESERVED_ENV: Record<string, string> = {
  POSTGRES_URL: "the database config (databaseMode, databaseUrl)",
  DATABASE_URL: "nothing: plugin-sql reads it as a fallback for POSTGRES_URL, which the database config sets",
  SERVER_PORT: "the program (the agent always listens on 3000)",
  SERVER_HOST: "the program (the agent always binds 0.0.0.0)",
  NODE_ENV: "the program (always production)",
  LOG_LEVEL: "the agent's logLevel",
  ELIZA_SERVER_AUTH_TOKEN: "the program (a generated secret, exported as a stack output)",
  SECRET_SALT: "the program (a generated, stable secret)",
  ELIZA_UI_ENABLE: "frontDoor.webUi",
  ELIZA_NO_PLUGIN_AUTO_INSTALL: "the program",
  ELIZA_NO_AUTO_INSTALL: "the program",
  SENTRY_DSN: "the program (error reports stay off: an empty DSN would send them to elizaOS)",
  LOG_JSON_FORMAT: "the program",
  AGENT_CHARACTER_JSON: "the agent's characterFile",
  ELIZA_DATA_DIR: "the program (the agent's persistent storage is mounted there)",
  OPENAI_API_KEY: "openaiApiKey",
  ANTHROPIC_API_KEY: "anthropicApiKey",
  OPENROUTER_API_KEY: "openrouterApiKey",
  GOOGLE_GENERATIVE_AI_API_KEY: "googleApiKey",
  OPENAI_BASE_URL: "the agent's modelBaseUrl",
  OPENROUTER_BASE_URL: "the agent's modelBaseUrl",
  OLLAMA_API_ENDPOINT: "the agent's modelBaseUrl",
};

const ENV_KEY_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
const SECRET_LOOKING_ENV = /(^|_)(API_KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|CREDENTIALS?|DSN)$/;

/** Reports each name in an agent's `env` that is malformed, reserved or looks like a secret. */
export function checkAgentEnv(env: Record<string, string>, at: string, problems: Problems): void {
  for (const key of Object.keys(env)) {
    const where = `${at}.env${pathSuffix([key])}`;
    if (!ENV_KEY_PATTERN.test(key)) {
      problems.add(
        ns("agents"),
        where,
        `env var names must be UPPER_SNAKE_CASE (A-Z, 0-9, _), not starting with a digit — rename it, e.g. ${suggestEnvName(key)}`,
      );
    } else if (RESERVED_ENV[key]) {
      problems.add(
        ns("agents"),
        where,
        `${key} is set by the program from ${RESERVED_ENV[key]} — set it there and remove it from env`,
      );
    } else if (SECRET_LOOKING_ENV.test(key)) {
      problems.add(
        ns("agents"),
        where,
        `${key} looks like a secret, but env values are stored in plain text in the stack config — keep secrets out of env (model keys go in openaiApiKey etc., set with pulumi config set --secret)`,
      );
    }
  }
}

/** The nearest UPPER_SNAKE_CASE name: log-format -> LOG_FORMAT, 9lives -> _9LIVES. */
function suggestEnvName(key: string): string {
  const upper = key.toUpperCase().replace(/[^A-Z0-9_]+/g, "_");
  return /^[0-9]/.test(upper) ? `_${upper}` : upper || "MY_SETTING";
}
