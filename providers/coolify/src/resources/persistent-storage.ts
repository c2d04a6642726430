import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isCoolifyError, isNotFound } from "../client/errors";
import type { PersistentStorage as ApiStorage } from "../client/schemas";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { isLostResponse } from "../provider/lookup";
import { tell } from "../provider/notify";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

/** Coolify's VOLUME_NAME_PATTERN. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
/** Coolify's DIRECTORY_PATH_PATTERN, for a bind-mounted host directory. */
const DIRECTORY_PATH = /^\/[a-zA-Z0-9._\-/~@+]*$/;
/** What Coolify puts in a shell command when it writes the compose file. */
const SHELL_UNSAFE = /[`$|&;<>\\\t\r\n]/;

export const PersistentStorageInputsSchema = z.object({
  applicationUuid: z.string().min(1),
  /** Coolify stores `<application uuid>-<name>`: the docker volume's name. */
  name: z
    .string()
    .regex(VOLUME_NAME, "letters, digits, '.', '_' and '-', starting with a letter or a digit (e.g. data)"),
  /** Where the container sees it, e.g. /app/agent/.eliza. */
  mountPath: z
    .string()
    .startsWith("/", "an absolute path in the container, e.g. /app/agent/.eliza")
    .refine((p) => !SHELL_UNSAFE.test(p), "no shell metacharacters (` $ | & ; < > \\ tabs, newlines)"),
  /** A host directory to bind instead of a named volume. */
  hostPath: z.string().regex(DIRECTORY_PATH, "an absolute host directory such as /srv/agent-data").optional(),
});
export type PersistentStorageInputs = z.infer<typeof PersistentStorageInputsSchema>;

export interface PersistentStorageArgs {
  applicationUuid: pulumi.Input<string>;
  name: pulumi.Input<string>;
  mountPath: pulumi.Input<string>;
  hostPath?: pulumi.Input<string>;
}

/** The stored name, which is the docker volume's name too. */
const volumeName = (i: PersistentStorageInputs) => `${i.applicationUuid}-${i.name}`;

function outputs(i: PersistentStorageInputs, s: ApiStorage): Props {
  return { ...i, uuid: s.uuid, volumeName: s.name };
}

export const persistentStorageImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(PersistentStorageInputsSchema, news);
  },

  async diff(_id, olds, news) {
    // Another name or host path is another place for the data (a PATCHed name is stored
    // without the prefix and points the app at a new volume; the data stays in the old one):
    // a new storage, said plainly. The mount path is a PATCH.
    const replaces = replacedKeys(olds, news, ["applicationUuid", "name", "hostPath"]);
    const changed = changedKeys(olds, news, ["applicationUuid", "name", "hostPath", "mountPath"]);
    return { changes: changed.length > 0, replaces };
  },

  async create(raw) {
    const i = raw as unknown as PersistentStorageInputs;
    const client = coolifyClient();
    let storage: ApiStorage;
    try {
      storage = await client.createPersistentStorage(i.applicationUuid, {
        name: i.name,
        mountPath: i.mountPath,
        hostPath: i.hostPath,
      });
    } catch (e) {
      // A lost answer, or the 500 of Coolify's unique index (name, application): the storage may
      // exist already. There is no description to mark it with, but the application is this
      // program's and the name is unique within it, so a storage of that name is this one.
      if (!isLostResponse(e) && !isCoolifyError(e, "server")) throw e;
      const found = (await client.listPersistentStorages(i.applicationUuid)).find(
        (s) => s.name === volumeName(i),
      );
      if (!found) throw e;
      if (found.mount_path !== i.mountPath || (found.host_path ?? undefined) !== i.hostPath) {
        await client.updatePersistentStorage(i.applicationUuid, found.uuid, {
          mountPath: i.mountPath,
          hostPath: i.hostPath ?? null,
        });
      }
      storage = found;
    }
    return { id: storage.uuid, outs: outputs(i, storage) };
  },

  async read(id, props) {
    const old = props as unknown as PersistentStorageInputs;
    let list: ApiStorage[];
    try {
      list = await coolifyClient().listPersistentStorages(old.applicationUuid);
    } catch (e) {
      if (isNotFound(e)) return {}; // the application is gone, and its storages with it
      throw e;
    }
    const s = list.find((x) => x.uuid === id);
    if (!s) return {};
    const prefix = `${old.applicationUuid}-`;
    const current: PersistentStorageInputs = {
      ...old,
      name: s.name.startsWith(prefix) ? s.name.slice(prefix.length) : s.name,
      mountPath: s.mount_path,
      hostPath: s.host_path ?? undefined,
    };
    return { id, props: { ...props, ...outputs(current, s) } };
  },

  async update(id, _olds, news) {
    const i = news as unknown as PersistentStorageInputs;
    // Applied by the application's next deployment (the Deployment's triggers carry the path).
    await coolifyClient().updatePersistentStorage(i.applicationUuid, id, { mountPath: i.mountPath });
    return { outs: { ...news, uuid: id, volumeName: volumeName(i) } };
  },

  async delete(id, props) {
    const i = props as unknown as PersistentStorageInputs;
    try {
      await coolifyClient().deleteStorage(i.applicationUuid, id);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    // Coolify removes only the row: the docker volume and its data stay on the server.
    tell(
      `storage ${i.name} of application ${i.applicationUuid} removed; its docker volume ` +
        `${String(props.volumeName ?? volumeName(i))} stays on the server with its data ` +
        "(docker volume rm there when it is no longer needed).",
    );
  },
};

/**
 * A persistent storage of an application: a named docker volume (or a bind-mounted host
 * directory) mounted at `mountPath`, kept across redeploys and container replacement. Declare it
 * with `deletedWith` the application: deleting the application removes its volumes, while
 * deleting only the storage leaves the volume on the server.
 */
export class PersistentStorage extends CoolifyResource {
  declare readonly uuid: pulumi.Output<string>;
  /** The docker volume's name on the server: `<application uuid>-<name>`. */
  declare readonly volumeName: pulumi.Output<string>;

  constructor(name: string, args: PersistentStorageArgs, opts?: pulumi.CustomResourceOptions) {
    super("PersistentStorage", name, { ...args, uuid: undefined, volumeName: undefined }, opts);
  }
}
