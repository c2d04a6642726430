// S3 storages (Coolify 4.3.11 source, S3StoragesController): create and update test nothing;
// validate lists the bucket and answers 200 {valid, message} either way.
import { type S3Storage, S3StorageSchema, S3ValidationSchema, UuidResponseSchema } from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";
import { patchFields } from "./writes";

export interface S3StorageBody {
  name?: string;
  description?: string;
  endpoint?: string;
  bucket?: string;
  region?: string;
  key?: string;
  secret?: string;
}

export async function createS3Storage(t: Transport, body: S3StorageBody): Promise<{ uuid: string }> {
  const r = await t.request("POST", "/s3-storages", {
    body: withoutUndefined({ ...body }),
    schema: UuidResponseSchema,
  });
  return { uuid: r.uuid };
}

export function getS3Storage(t: Transport, uuid: string): Promise<S3Storage> {
  return t.request("GET", `/s3-storages/${seg(uuid)}`, { schema: S3StorageSchema });
}

export function listS3Storages(t: Transport): Promise<S3Storage[]> {
  return t.request("GET", "/s3-storages", { schema: S3StorageSchema.array() });
}

export async function updateS3Storage(t: Transport, uuid: string, body: S3StorageBody): Promise<void> {
  await patchFields(t, `/s3-storages/${seg(uuid)}`, { ...body });
}

/** A hard delete; Coolify turns save_s3 off on every backup that used it. */
export async function deleteS3Storage(t: Transport, uuid: string): Promise<void> {
  await t.request("DELETE", `/s3-storages/${seg(uuid)}`);
}

/** Coolify lists the bucket root with the stored credentials (and sets is_usable). */
export async function validateS3Storage(
  t: Transport,
  uuid: string,
): Promise<{ valid: boolean; message: string }> {
  const r = await t.request("POST", `/s3-storages/${seg(uuid)}/validate`, { schema: S3ValidationSchema });
  return { valid: r.valid, message: r.message ?? "" };
}
