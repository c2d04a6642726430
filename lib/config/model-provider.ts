/**
 * An agent's model settings (`modelProvider`, `modelBaseUrl`) against what the provider's
 * ElizaOS plugin supports and what the character file lists.
 */
import type { Character } from "../../characters/schema";
import type { AgentFields, ModelProvider } from "./agent-schema";
import { ns } from "./keys";
import type { Problems } from "./problems";

/** The plugin that each model provider needs in the character's plugin list. */
export const PROVIDER_PLUGINS: Record<ModelProvider, string> = {
  openai: "@elizaos/plugin-openai",
  anthropic: "@elizaos/plugin-anthropic",
  openrouter: "@elizaos/plugin-openrouter",
  google: "@elizaos/plugin-google-genai",
  ollama: "@elizaos/plugin-ollama",
};

/** Env var that `modelBaseUrl` becomes, per provider (undefined: the plugin has none). */
export const BASE_URL_ENV: Partial<Record<ModelProvider, string>> = {
  openai: "OPENAI_BASE_URL",
  openrouter: "OPENROUTER_BASE_URL",
  ollama: "OLLAMA_API_ENDPOINT",
};

/** modelBaseUrl only where the plugin reads one, and always for Ollama. */
export function checkModelBaseUrl(
  provider: ModelProvider,
  modelBaseUrl: string | undefined,
  at: string,
  problems: Problems,
): void {
  if (modelBaseUrl !== undefined && !BASE_URL_ENV[provider]) {
    problems.add(
      ns("agents"),
      `${at}.modelBaseUrl`,
      `the ${provider} plugin has no base-URL setting — remove modelBaseUrl, or use modelProvider openai/openrouter/ollama for a compatible endpoint`,
    );
  }
  if (provider === "ollama" && modelBaseUrl === undefined) {
    problems.add(
      ns("agents"),
      `${at}.modelBaseUrl`,
      "is required for modelProvider ollama (the Ollama endpoint, e.g. http://ollama:11434) — localhost inside the container is not your Ollama",
    );
  }
}

/**
 * The character must list the provider's plugin; a few allowed combinations get warnings
 * (no embeddings with Anthropic, secrets in a committed file, a name ElizaOS treats specially).
 */
export function checkCharacterForProvider(
  character: Character,
  characterFile: string,
  a: Partial<AgentFields>,
  provider: ModelProvider,
  index: number,
  problems: Problems,
  warnings: string[],
): void {
  const plugin = PROVIDER_PLUGINS[provider];
  const plugins = character.plugins ?? [];
  if (plugins.length > 0 && !plugins.includes(plugin)) {
    problems.add(
      ns("agents"),
      `[${index}].modelProvider`,
      `is ${provider}, but ${characterFile} does not list ${plugin} in plugins — add it there (or change modelProvider) or the agent will have no model`,
    );
  }
  if (provider === "anthropic" && !plugins.some((p) => /plugin-(openai|google-genai|ollama)$/.test(p))) {
    warnings.push(
      `agents[${index}] (${a.name}): Anthropic has no embedding model; memory and knowledge search degrade unless the character also lists an embedding plugin such as @elizaos/plugin-openai.`,
    );
  }
  const charSecrets = { ...(character.secrets ?? {}) };
  const settingsSecrets = character.settings?.secrets;
  if (
    Object.keys(charSecrets).length > 0 ||
    (settingsSecrets && typeof settingsSecrets === "object" && Object.keys(settingsSecrets).length > 0)
  ) {
    warnings.push(
      `agents[${index}] (${a.name}): ${a.characterFile} contains secrets; character files are committed in plain text — move them to encrypted stack config.`,
    );
  }
  if (/^eliza/i.test(character.name)) {
    warnings.push(
      `agents[${index}] (${a.name}): a character named "${character.name}" makes ElizaOS merge every ELIZA_* env var into its secrets (e.g. ELIZA_SERVER_AUTH_TOKEN) — consider another name.`,
    );
  }
}
