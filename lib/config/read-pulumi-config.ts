/** The Pulumi-touching part: raw values out of `pulumi.Config`, then parseStackConfig. */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "./keys";
import { parseStackConfig, type RawStackConfig, type StackConfig } from "./stack-config";

/**
 * Reads the stack's config through pulumi.Config and validates it. Throws StackConfigError
 * (every problem at once) and logs warnings.
 */
export function readStackConfig(baseDir: string = process.cwd()): StackConfig {
  const config = parseStackConfig(readRawConfig(), { stack: pulumi.getStack(), baseDir });
  for (const warning of config.warnings) pulumi.log.warn(warning);
  return config;
}

/** Every `eliza-coolify:*` value with whether it was stored encrypted, and the Coolify provider's. */
export function readRawConfig(): RawStackConfig {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const values: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    // Structured config arrives as a JSON string; parseStackConfig decodes `agents` itself.
    values[key] = cfg.get(key);
    if (isConfigSecret(fullKey)) secretKeys.push(key);
  }
  const coolify = new pulumi.Config("coolify");
  return {
    values,
    secretKeys,
    coolify: {
      url: coolify.get("url"),
      token: coolify.get("token"),
      tokenIsSecret: isConfigSecret("coolify:token"),
      rateLimitPerMinute: coolify.get("rateLimitPerMinute"),
    },
  };
}

/** Whether a full config key (`ns:key`) was stored encrypted. */
function isConfigSecret(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret?.(fullKey) ?? false;
}
