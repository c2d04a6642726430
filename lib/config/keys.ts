/** The `eliza-coolify:*` config keys this project reads, and the check for typos among them. */
import { nearest } from "../../characters/schema";
import type { Problems } from "./problems";

export const CONFIG_NAMESPACE = "eliza-coolify";

/** `agents` -> `eliza-coolify:agents`. */
export const ns = (key: string) => `${CONFIG_NAMESPACE}:${key}`;

/** Every key this project reads from the `eliza-coolify` namespace. */
export const KNOWN_KEYS = [
  "agents",
  "projectName",
  "projectDescription",
  "environment",
  "serverUuid",
  "destinationUuid",
  "servers",
  "databaseServer",
  "databaseMode",
  "databaseImage",
  "databaseMemory",
  "databaseUrl",
  "allowNonPgvectorImage",
  "protectDatabase",
  "databaseRecreateIfLost",
  "openaiApiKey",
  "anthropicApiKey",
  "openrouterApiKey",
  "googleApiKey",
  "registryPassword",
  "protect",
  "adopt",
  "connectTo",
  "caCertificate",
  "frontDoor",
  "backups",
  "backupSchedule",
  "backupRetention",
  "backupS3Retention",
  "backupBeforeChange",
  "backupS3Endpoint",
  "backupS3Bucket",
  "backupS3Region",
  "backupS3AccessKey",
  "backupS3SecretKey",
  "rollback",
] as const;

/** The keys that must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_KEYS = [
  "databaseUrl",
  "openaiApiKey",
  "anthropicApiKey",
  "openrouterApiKey",
  "googleApiKey",
  "registryPassword",
  "backupS3SecretKey",
] as const;

/** Reports keys that are not in KNOWN_KEYS, with the nearest known key as a hint. */
export function reportUnknownKeys(values: Record<string, unknown>, problems: Problems): void {
  for (const key of Object.keys(values)) {
    if ((KNOWN_KEYS as readonly string[]).includes(key)) continue;
    const hint = nearest(key, KNOWN_KEYS);
    problems.add(
      ns(key),
      "",
      hint
        ? `unknown config key — did you mean ${ns(hint)}? (pulumi config rm ${ns(key)})`
        : `unknown config key — remove it with \`pulumi config rm ${ns(key)}\`; known keys: ${KNOWN_KEYS.join(", ")}`,
    );
  }
}
