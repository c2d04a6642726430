// PostgreSQL databases (notes 4.7).
import { isCoolifyError } from "../errors";
import { CreatePostgresResponseSchema, type Database, DatabaseSchema } from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";
import { deleteQueued, patchFields } from "./writes";

/** The URLs carry the password and come back only here (later GETs hide them without read:sensitive). */
export async function createPostgres(
  t: Transport,
  body: Record<string, unknown>,
): Promise<{ uuid: string; internal_db_url?: string; external_db_url?: string }> {
  const r = await t.request("POST", "/databases/postgresql", {
    body: withoutUndefined(body),
    schema: CreatePostgresResponseSchema,
  });
  const out: { uuid: string; internal_db_url?: string; external_db_url?: string } = { uuid: r.uuid };
  if (r.internal_db_url) out.internal_db_url = r.internal_db_url;
  if (r.external_db_url) out.external_db_url = r.external_db_url;
  return out;
}

export function getDatabase(t: Transport, uuid: string): Promise<Database> {
  return t.request("GET", `/databases/${seg(uuid)}`, { schema: DatabaseSchema });
}

export async function updateDatabase(
  t: Transport,
  uuid: string,
  body: Record<string, unknown>,
): Promise<void> {
  await patchFields(t, `/databases/${seg(uuid)}`, body);
}

/** Only queues the deletion; use waitUntilGone("database", uuid) to wait for it. */
export async function deleteDatabase(
  t: Transport,
  uuid: string,
  opts: { deleteVolumes?: boolean } = {},
): Promise<void> {
  await deleteQueued(t, `/databases/${seg(uuid)}`, opts);
}

/** A database that is already running counts as started (Coolify answers 400 for it). */
export async function startDatabase(t: Transport, uuid: string): Promise<void> {
  try {
    await t.request("POST", `/databases/${seg(uuid)}/start`);
  } catch (e) {
    if (isCoolifyError(e, "bad_request") && /already running/i.test(e.serverMessage ?? "")) return;
    throw e;
  }
}

export async function restartDatabase(t: Transport, uuid: string): Promise<void> {
  await t.request("POST", `/databases/${seg(uuid)}/restart`);
}
