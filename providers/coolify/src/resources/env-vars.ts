import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { EnvVarInput } from "../client/client";
import { isNotFound } from "../client/errors";
import { coolifyClient } from "../provider/context";
import { checkWith, hasUnknowns } from "../provider/inputs";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

// Coolify's key rule: a letter or _, then letters, digits, _ or . (notes 4.6).
const KEY = /^[A-Za-z_][A-Za-z0-9_.]{0,254}$/;

export const EnvVarsInputsSchema = z
  .object({
    applicationUuid: z.string().min(1),
    variables: z.record(
      z.string().regex(KEY, "a letter or _, then letters, digits, _ or ."),
      // Coolify trims values on write (notes 4.6): a value that depends on its edges would drift.
      z
        .string()
        .refine((v) => v === v.trim(), "starts or ends with white space, which Coolify trims away; trim it"),
    ),
    /** Keys that are also passed to the image build (build-time); all are available at run time. */
    buildtime: z.array(z.string()).default([]),
    /**
     * Keys whose values Coolify locks (`is_shown_once`): never shown again, in the UI or to any
     * token, read:sensitive included. For secrets: model keys, database URLs, salts, tokens.
     */
    locked: z.array(z.string()).default([]),
  })
  .superRefine((v, ctx) => {
    for (const field of ["buildtime", "locked"] as const) {
      for (const k of v[field]) {
        if (!(k in v.variables)) {
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: `${k} is not one of the declared variables`,
          });
        }
      }
    }
  });
export type EnvVarsInputs = z.infer<typeof EnvVarsInputsSchema>;

export interface EnvVarsArgs {
  applicationUuid: pulumi.Input<string>;
  /** Every value is treated as a secret. */
  variables: pulumi.Input<Record<string, pulumi.Input<string>>>;
  buildtime?: pulumi.Input<pulumi.Input<string>[]>;
  /** Keys whose values Coolify locks: shown to nobody after they are written. */
  locked?: pulumi.Input<pulumi.Input<string>[]>;
}

/** A keyed hash: state never holds a value, only this (and encrypted, as a secret output). */
export function valueHash(key: string, value: string): string {
  return createHash("sha256").update(`${key}\0${value}`).digest("hex");
}

function hashesOf(i: EnvVarsInputs): Record<string, string> {
  return Object.fromEntries(
    Object.keys(i.variables)
      .sort()
      .map((k) => [k, valueHash(k, i.variables[k] as string)]),
  );
}

/** Every flag, every time: Coolify resets omitted ones (notes P2, P3). */
function item(i: EnvVarsInputs, key: string): EnvVarInput {
  const value = i.variables[key] as string;
  return {
    key,
    value,
    is_preview: false,
    // Literal: Coolify must not expand {{...}} or $ in secrets.
    is_literal: true,
    is_multiline: value.includes("\n"),
    // A locked value is never shown again; drift in it is then invisible to refresh, while a
    // deleted or re-flagged variable is still seen.
    is_shown_once: i.locked.includes(key),
    is_runtime: true,
    is_buildtime: i.buildtime.includes(key),
  };
}

/**
 * `generation` counts the writes this resource has made: the digest changes with every write,
 * so a value put back after drift (refresh saw a hand edit, `up` wrote the declared value
 * again) redeploys the app like any other change. The container sees variables only from its
 * last deployment.
 */
function outputs(i: EnvVarsInputs, generation: number): Props {
  const hashes = hashesOf(i);
  // One digest of the whole set: a Deployment uses it as its trigger.
  const digest = createHash("sha256")
    .update(JSON.stringify([hashes, [...i.buildtime].sort(), [...i.locked].sort(), generation]))
    .digest("hex");
  return {
    applicationUuid: i.applicationUuid,
    buildtime: i.buildtime,
    locked: i.locked,
    keys: Object.keys(hashes),
    hashes,
    generation,
    digest,
  };
}

/** What an update must write: values or flags that differ from the state (refreshed or not). */
function changedEntries(olds: Props, news: EnvVarsInputs): { upsert: string[]; removed: string[] } {
  const oldHashes = (olds.hashes ?? {}) as Record<string, string>;
  const flagChanged = (field: "buildtime" | "locked", k: string) =>
    ((olds[field] ?? []) as string[]).includes(k) !== news[field].includes(k);
  const upsert = Object.keys(news.variables).filter(
    (k) =>
      oldHashes[k] !== valueHash(k, news.variables[k] as string) ||
      flagChanged("buildtime", k) ||
      // State from before locking has no `locked`: the first up locks the secrets once.
      flagChanged("locked", k),
  );
  const removed = Object.keys(oldHashes).filter((k) => !(k in news.variables));
  return { upsert, removed };
}

/**
 * How a variable differs from the last deployed inputs: `add`, `update` (value, build or locked
 * flag), `delete`, or `unknown`: its new value is not known until apply (an output of a resource
 * this run updates, such as the database URL), so it may or may not change.
 */
export type VariableChange = "add" | "update" | "delete" | "unknown";

/**
 * The variables that differ from the last deployed inputs, by name only. The preview JSON shows
 * each value masked and the Node dynamic-provider host forwards no detailedDiff, so check adds
 * this as a non-secret input and the PR preview summary names the changes from it.
 * Undefined when there is nothing to compare: a create, or the whole set not known yet.
 */
export function variableChanges(olds: Props, news: Props): Record<string, VariableChange> | undefined {
  const before = olds.variables;
  const after = news.variables;
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
  if (!isMap(before) || !isMap(after)) return undefined;
  const flagged = (p: Props, field: "buildtime" | "locked") =>
    new Set(Array.isArray(p[field]) ? (p[field] as string[]) : []);
  const flags = (["buildtime", "locked"] as const).map((f) => ({
    was: flagged(olds, f),
    is: flagged(news, f),
  }));
  // Like changedEntries: a flipped flag is a write, and state from before locking has no `locked`.
  const flagFlipped = (key: string) => flags.some((f) => f.was.has(key) !== f.is.has(key));
  const changes: Record<string, VariableChange> = {};
  for (const key of Object.keys(after).sort()) {
    if (!(key in before)) changes[key] = "add";
    else if (flagFlipped(key)) changes[key] = "update";
    // Not a definite update: the value is compared at apply, and often turns out the same.
    else if (hasUnknowns(after[key])) changes[key] = "unknown";
    else if (before[key] !== after[key]) changes[key] = "update";
  }
  for (const key of Object.keys(before).sort()) if (!(key in after)) changes[key] = "delete";
  return changes;
}

async function deleteKeys(appUuid: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const client = coolifyClient();
  const all = await client.listApplicationEnvs(appUuid);
  // The preview twin of a production variable is ours too (notes P5).
  for (const env of all.filter((e) => keys.includes(e.key))) {
    try {
      await client.deleteApplicationEnv(appUuid, env.uuid);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const envVarsImpl: ResourceImpl = {
  async check(olds, news) {
    const checked = checkWith(EnvVarsInputsSchema, news);
    const changedVariables = variableChanges(olds, checked.inputs);
    return changedVariables ? { ...checked, inputs: { ...checked.inputs, changedVariables } } : checked;
  },

  async diff(_id, olds, news) {
    const inputs = news as unknown as EnvVarsInputs;
    if (olds.applicationUuid !== inputs.applicationUuid) {
      // Unknown during a preview while the application changes: the real diff decides at up.
      const known = !hasUnknowns(inputs.applicationUuid);
      return { changes: true, replaces: known ? ["applicationUuid"] : [], deleteBeforeReplace: false };
    }
    // During a preview the values come from outputs that may not be known yet (a database
    // being updated): what will change is decided at `up`, when they are.
    if (hasUnknowns(inputs.variables) || hasUnknowns(inputs.buildtime) || hasUnknowns(inputs.locked)) {
      return { changes: true, replaces: [] };
    }
    const { upsert, removed } = changedEntries(olds, inputs);
    return { changes: upsert.length + removed.length > 0, replaces: [] };
  },

  async create(raw) {
    const inputs = raw as unknown as EnvVarsInputs;
    const keys = Object.keys(inputs.variables);
    if (keys.length > 0) {
      // One bulk upsert for the whole set; it is keyed, so a retry after a lost answer is safe.
      await coolifyClient().bulkUpsertApplicationEnvs(
        inputs.applicationUuid,
        keys.map((k) => item(inputs, k)),
      );
    }
    return { id: `${inputs.applicationUuid}/envs`, outs: outputs(inputs, 1) };
  },

  async read(id, props) {
    const appUuid = String(props.applicationUuid);
    try {
      const all = await coolifyClient().listApplicationEnvs(appUuid);
      const production = new Map(all.filter((e) => !e.is_preview).map((e) => [e.key, e]));
      const oldHashes = (props.hashes ?? {}) as Record<string, string>;
      const hashes: Record<string, string> = {};
      for (const [key, hash] of Object.entries(oldHashes)) {
        const env = production.get(key);
        if (!env) continue; // deleted out of band: the next diff puts it back
        // Without read:sensitive the value is hidden: keep the hash we stored.
        hashes[key] = typeof env.value === "string" ? valueHash(key, env.value) : hash;
      }
      const buildtime = ((props.buildtime ?? []) as string[]).filter(
        (k) => production.get(k)?.is_buildtime !== false,
      );
      // An unlocked one (by hand in the UI) is locked again by the next up.
      const locked = ((props.locked ?? []) as string[]).filter(
        (k) => production.get(k)?.is_shown_once !== false,
      );
      return { id, props: { ...props, keys: Object.keys(hashes), hashes, buildtime, locked } };
    } catch (e) {
      if (isNotFound(e)) return {}; // the application is gone, and its variables with it
      throw e;
    }
  },

  async update(_id, olds, news) {
    const inputs = news as unknown as EnvVarsInputs;
    const { upsert, removed } = changedEntries(olds, inputs);
    if (upsert.length > 0) {
      await coolifyClient().bulkUpsertApplicationEnvs(
        inputs.applicationUuid,
        upsert.map((k) => item(inputs, k)),
      );
    }
    await deleteKeys(inputs.applicationUuid, removed);
    const wrote = upsert.length + removed.length > 0;
    const generation = Number(olds.generation ?? 0) + (wrote ? 1 : 0);
    return { outs: outputs(inputs, generation) };
  },

  async delete(_id, props) {
    try {
      await deleteKeys(String(props.applicationUuid), (props.keys ?? []) as string[]);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },
};

/**
 * Each value a secret of its own, not the whole map one secret: one value not known during a
 * preview (the database URL while the database is updated) then leaves the others and the names
 * known, so check can say which variable may change instead of "all of them".
 */
function secretValues(
  variables: EnvVarsArgs["variables"],
): pulumi.Input<Record<string, pulumi.Input<string>>> {
  if (pulumi.Output.isInstance(variables) || variables instanceof Promise) return pulumi.secret(variables);
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, pulumi.secret(v)]));
}

/**
 * The environment variables of one application, written in one bulk call. It owns only the
 * keys it declares: variables set by hand in Coolify are left alone. Values never reach state:
 * only keyed hashes do, as secrets.
 */
export class EnvVars extends CoolifyResource {
  declare readonly keys: pulumi.Output<string[]>;
  /** Changes whenever any value or flag changes; use it to trigger a redeploy. */
  declare readonly digest: pulumi.Output<string>;

  constructor(name: string, args: EnvVarsArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      variables: secretValues(args.variables),
      keys: undefined,
      digest: undefined,
      hashes: undefined,
      generation: undefined,
    };
    super("EnvVars", name, props, {
      ...opts,
      additionalSecretOutputs: ["hashes", "digest"],
    });
  }
}
