/**
 * The secret keys: one API key per model provider (openaiApiKey, anthropicApiKey,
 * openrouterApiKey, googleApiKey) and registryPassword for `build` sources. Each must be stored
 * encrypted; a model key is required only when an agent uses that provider.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ModelProvider } from "./agent-schema";
import { ns } from "./keys";
import type { Problems } from "./problems";
import type { ConfigValues } from "./values";

/** The config keys that must be secrets, with where each goes. */
export const MODEL_KEY_CONFIG: Record<Exclude<ModelProvider, "ollama">, { key: string; env: string }> = {
  openai: { key: "openaiApiKey", env: "OPENAI_API_KEY" },
  anthropic: { key: "anthropicApiKey", env: "ANTHROPIC_API_KEY" },
  openrouter: { key: "openrouterApiKey", env: "OPENROUTER_API_KEY" },
  google: { key: "googleApiKey", env: "GOOGLE_GENERATIVE_AI_API_KEY" },
};

export type ModelKeys = Partial<Record<ModelProvider, pulumi.Output<string>>>;

export interface Secrets {
  modelKeys: ModelKeys;
  registryPassword?: pulumi.Output<string>;
}

export function parseSecrets(values: ConfigValues): Secrets {
  const modelKeys: ModelKeys = {};
  for (const [provider, { key }] of Object.entries(MODEL_KEY_CONFIG)) {
    const v = values.secret(key);
    if (v) modelKeys[provider as ModelProvider] = v;
  }
  const registryPassword = values.secret("registryPassword");
  return registryPassword ? { modelKeys, registryPassword } : { modelKeys };
}

/**
 * Collects the agents whose provider has no key, so the stack gets one problem per missing key
 * that names every agent needing it.
 */
export class MissingModelKeys {
  private readonly byProvider = new Map<Exclude<ModelProvider, "ollama">, number[]>();

  /** Notes agent `index` when its provider needs a key that is not there. */
  note(values: ConfigValues, modelKeys: ModelKeys, provider: ModelProvider, index: number): void {
    if (provider === "ollama" || modelKeys[provider]) return;
    const key = MODEL_KEY_CONFIG[provider].key;
    // A key given in plain text is already reported; do not report it twice.
    if (values.raw[key] === undefined || values.raw[key] === "") {
      const list = this.byProvider.get(provider) ?? [];
      list.push(index);
      this.byProvider.set(provider, list);
    }
  }

  report(problems: Problems): void {
    for (const [provider, indexes] of this.byProvider) {
      const { key } = MODEL_KEY_CONFIG[provider];
      const who = indexes.map((i) => `agents[${i}]`).join(", ");
      problems.add(
        ns(key),
        "",
        `is required because ${who} use${indexes.length === 1 ? "s" : ""} modelProvider ${provider} — pulumi config set --secret ${ns(key)} <api key>`,
      );
    }
  }
}
