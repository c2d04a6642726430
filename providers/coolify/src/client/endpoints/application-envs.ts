// An application's environment variables (notes 4.6, P1-P5).
import { type EnvVar, EnvVarSchema, UuidResponseSchema } from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";

export type EnvVarInput = {
  key: string;
  value: string;
  is_preview?: boolean;
  is_literal?: boolean;
  is_multiline?: boolean;
  is_shown_once?: boolean;
  is_buildtime?: boolean;
  is_runtime?: boolean;
  comment?: string;
};

/** Production and preview variables alike; filter on is_preview. */
export function listApplicationEnvs(t: Transport, appUuid: string): Promise<EnvVar[]> {
  return t.request("GET", `/applications/${seg(appUuid)}/envs`, { schema: EnvVarSchema.array() });
}

/**
 * Upserts by key, item by item (not atomic). Send every flag: omitted ones are reset by Coolify
 * (notes P2, P3).
 *
 * The one write sent again after a lost answer (a dropped connection, a 502/503/504): every item
 * carries its key, its value and every flag, so a second upsert leaves exactly what the first
 * did, whether the first was applied, half applied or not at all. Nothing is created twice.
 */
export async function bulkUpsertApplicationEnvs(
  t: Transport,
  appUuid: string,
  items: EnvVarInput[],
): Promise<void> {
  if (items.length === 0) return; // Coolify answers 400 "Bulk data is required."
  await t.request("PATCH", `/applications/${seg(appUuid)}/envs/bulk`, {
    body: { data: items.map((i) => withoutUndefined(i)) },
    retrySafe: true,
  });
}

export async function createApplicationEnv(
  t: Transport,
  appUuid: string,
  item: EnvVarInput,
): Promise<{ uuid: string }> {
  const r = await t.request("POST", `/applications/${seg(appUuid)}/envs`, {
    body: withoutUndefined(item),
    schema: UuidResponseSchema,
  });
  return { uuid: r.uuid };
}

/** Finds the variable by key (and is_preview); always send the value and every flag. */
export async function updateApplicationEnv(t: Transport, appUuid: string, item: EnvVarInput): Promise<void> {
  await t.request("PATCH", `/applications/${seg(appUuid)}/envs`, { body: withoutUndefined(item) });
}

export async function deleteApplicationEnv(t: Transport, appUuid: string, envUuid: string): Promise<void> {
  await t.request("DELETE", `/applications/${seg(appUuid)}/envs/${seg(envUuid)}`);
}
