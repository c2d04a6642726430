import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith } from "../provider/inputs";
import { now, pollDelay, pollScale, sleep } from "../provider/poll";
import { CoolifyResource } from "../provider/shim";
import type { ResourceImpl } from "../provider/types";

export const DatabaseRestartInputsSchema = z.object({
  databaseUuid: z.string().min(1),
  /** A change here restarts the database: its image and its limits. */
  triggers: z.record(z.string(), z.string()).default({}),
  timeoutSeconds: z.number().int().min(30).max(3600).default(600),
});
export type DatabaseRestartInputs = z.infer<typeof DatabaseRestartInputsSchema>;

export interface DatabaseRestartArgs {
  databaseUuid: pulumi.Input<string>;
  triggers: pulumi.Input<Record<string, pulumi.Input<string>>>;
  timeoutSeconds?: pulumi.Input<number>;
}

/**
 * The restart that applies a database's new image or limits (a PATCH changes only Coolify's
 * stored copy, notes 4.7), as its own step: so it can wait for the backup before the change
 * (BackupBeforeChange), which must dump the database still as it was. Waits until it reports
 * running:healthy again, so the agents deployed after it find it up.
 */
export const databaseRestartImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(DatabaseRestartInputsSchema, news);
  },

  async diff(_id, olds, news) {
    return { changes: changedKeys(olds, news, ["databaseUuid", "triggers"]).length > 0, replaces: [] };
  },

  async create(raw) {
    // A new database starts with its image and limits: nothing to restart.
    const i = raw as unknown as DatabaseRestartInputs;
    return { id: `${i.databaseUuid}/restart`, outs: { ...i } };
  },

  async read(id, props) {
    return { id, props };
  },

  async update(_id, olds, news) {
    const i = news as unknown as DatabaseRestartInputs;
    if (changedKeys(olds, news, ["triggers"]).length === 0) return { outs: { ...i } };
    const client = coolifyClient();
    await client.restartDatabase(i.databaseUuid);
    const deadline = now() + i.timeoutSeconds * 1000 * pollScale();
    for (let attempt = 0; ; attempt++) {
      await sleep(pollDelay(attempt));
      const { status } = await client.getDatabase(i.databaseUuid);
      if (status.startsWith("running:healthy")) return { outs: { ...i, status } };
      if (now() > deadline) {
        throw new Error(
          `Database ${i.databaseUuid} is "${status}" ${i.timeoutSeconds} s after its restart (to apply a new image or ` +
            "memory limit); no agent was deployed against it. Look at its logs in Coolify, then run `pulumi up` again.",
        );
      }
    }
  },

  async delete() {},
};

export class DatabaseRestart extends CoolifyResource {
  constructor(name: string, args: DatabaseRestartArgs, opts?: pulumi.CustomResourceOptions) {
    super("DatabaseRestart", name, { ...args, status: undefined }, opts);
  }
}
