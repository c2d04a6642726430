// Persistent storages of an application (Coolify 4.3.11: ApplicationsController storages,
// create_storage, update_storage, delete_storage). Changes reach the container only with the
// next deployment; deleting a storage leaves its docker volume on the server, deleting the
// application (delete_volumes, the default) removes it.
import { CoolifyError } from "../errors";
import { ApplicationStoragesSchema, type PersistentStorage, PersistentStorageSchema } from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";

export async function listPersistentStorages(t: Transport, appUuid: string): Promise<PersistentStorage[]> {
  const r = await t.request("GET", `/applications/${seg(appUuid)}/storages`, {
    schema: ApplicationStoragesSchema,
  });
  return r.persistent_storages;
}

/**
 * A named volume (or a bind mount with hostPath). Coolify stores the name as
 * `<app-uuid>-<name>`, which is also the docker volume's name; a second one with the same name
 * is a 500 (unique index), so callers look it up after an error.
 */
export async function createPersistentStorage(
  t: Transport,
  appUuid: string,
  b: { name: string; mountPath: string; hostPath?: string },
): Promise<PersistentStorage> {
  const path = `/applications/${seg(appUuid)}/storages`;
  const r = await t.request("POST", path, {
    body: withoutUndefined({
      type: "persistent",
      name: b.name,
      mount_path: b.mountPath,
      host_path: b.hostPath,
    }),
    schema: PersistentStorageSchema,
  });
  if (!r.uuid) throw new CoolifyError("bad_response", `POST ${path} answered without the storage's uuid.`);
  return r;
}

/** PATCH names the storage in the body (there is no PATCH on the storage's own path). */
export async function updatePersistentStorage(
  t: Transport,
  appUuid: string,
  storageUuid: string,
  b: { mountPath?: string; hostPath?: string | null },
): Promise<void> {
  await t.request("PATCH", `/applications/${seg(appUuid)}/storages`, {
    body: withoutUndefined({
      type: "persistent",
      uuid: storageUuid,
      mount_path: b.mountPath,
      host_path: b.hostPath,
    }),
  });
}

export async function deleteStorage(t: Transport, appUuid: string, storageUuid: string): Promise<void> {
  await t.request("DELETE", `/applications/${seg(appUuid)}/storages/${seg(storageUuid)}`);
}
