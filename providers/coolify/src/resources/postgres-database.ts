import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CoolifyClient } from "../client/client";
import { isNotFound } from "../client/errors";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { deleteQueued, findAfterLostCreate, findExisting, isLostResponse } from "../provider/lookup";
import { ownerOf, stripMarker, withMarker } from "../provider/marker";
import { now, pollDelay, pollScale, sleep } from "../provider/poll";
import { plannedMove, type ServerMove } from "../provider/server-move";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

/** pgvector on PostgreSQL 17: ElizaOS needs the `vector` extension, which postgres:*-alpine lacks. */
export const DEFAULT_PGVECTOR_IMAGE = "pgvector/pgvector:0.8.0-pg17";

// PostgreSQL identifiers as Coolify accepts them (notes 4.7, P21).
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
// Passwords: letters, digits and ! @ # % ^ * ( ) _ + - = [ ] { } : , . ? / ~ (no $ & ; | < > \ ' " space `).
const PASSWORD = /^[A-Za-z0-9!@#%^*()_+\-=[\]{}:,.?/~]{1,128}$/;

export const PostgresDatabaseInputsSchema = z
  .object({
    projectUuid: z.string().min(1),
    environment: z.string().min(1),
    serverUuid: z.string().min(1),
    destinationUuid: z.string().min(1).optional(),
    /** The server's name in the stack config, for messages only. */
    serverName: z.string().min(1).optional(),
    name: z.string().min(1).max(255),
    description: z.string().max(200).default(""),
    image: z.string().min(1).default(DEFAULT_PGVECTOR_IMAGE),
    user: z
      .string()
      .regex(IDENTIFIER, "a letter or _, then letters, digits or _ (at most 63)")
      .default("eliza"),
    database: z
      .string()
      .regex(IDENTIFIER, "a letter or _, then letters, digits or _ (at most 63)")
      .default("eliza"),
    /** Generated at create when not given. */
    password: z
      .string()
      .regex(PASSWORD, "1-128 letters, digits or ! @ # % ^ * ( ) _ + - = [ ] { } : , . ? / ~")
      .optional(),
    limits: z
      .object({
        memory: z
          .string()
          .regex(/^\d+(\.\d+)?[bkmg]?$/i, 'a size such as "512m" or "1g"')
          .default("0"),
        cpus: z
          .string()
          .regex(/^\d+(\.\d+)?$/, 'a number such as "0.5"')
          .default("0"),
      })
      .prefault({}),
    isPublic: z.boolean().default(false),
    publicPort: z.number().int().min(1024).max(65535).optional(),
    owner: z.string().min(1),
    adopt: z.boolean().default(false),
    /**
     * What to do when refresh found the database deleted outside Pulumi: false (the default)
     * fails with how to restore it; true accepts a new, empty database in its place.
     */
    recreateIfLost: z.boolean().default(false),
    /**
     * Restart to apply a new image or limits (true, the default). False when a DatabaseRestart
     * does it instead, after the backup before the change.
     */
    restartOnChange: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.isPublic && v.publicPort === undefined) {
      // Coolify silently keeps it private otherwise (notes 4.7).
      ctx.addIssue({
        code: "custom",
        path: ["publicPort"],
        message: "a public database needs a publicPort (1024-65535)",
      });
    }
  });
export type PostgresDatabaseInputs = z.infer<typeof PostgresDatabaseInputsSchema>;

export interface PostgresDatabaseArgs {
  projectUuid: pulumi.Input<string>;
  environment: pulumi.Input<string>;
  serverUuid: pulumi.Input<string>;
  destinationUuid?: pulumi.Input<string>;
  /** A name for the server in messages (the stack config's). */
  serverName?: pulumi.Input<string>;
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** Default: a pinned pgvector image. */
  image?: pulumi.Input<string>;
  user?: pulumi.Input<string>;
  database?: pulumi.Input<string>;
  /** Generated (40 random letters and digits) when not given. */
  password?: pulumi.Input<string>;
  limits?: pulumi.Input<{ memory?: pulumi.Input<string>; cpus?: pulumi.Input<string> }>;
  isPublic?: pulumi.Input<boolean>;
  publicPort?: pulumi.Input<number>;
  adopt?: pulumi.Input<boolean>;
  /** Accept a new, empty database when the old one was deleted outside Pulumi (default false). */
  recreateIfLost?: pulumi.Input<boolean>;
  /** Restart on an image or limits change (default true); false leaves it to a DatabaseRestart. */
  restartOnChange?: pulumi.Input<boolean>;
}

/**
 * Coolify changes only its stored copy of these, not PostgreSQL itself (notes 4.7): replace.
 * Its server and destination are not among them: a new database there would start empty, so
 * check() refuses that change (movedDatabase).
 */
const REPLACE_KEYS = ["projectUuid", "environment", "user", "database", "password"];
const UPDATABLE = ["name", "description", "image", "limits", "isPublic", "publicPort"];
/** Changes to these reach the container only through a restart. */
const NEEDS_RESTART = ["image", "limits"];

function generatePassword(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join("");
}

function internalUrl(i: PostgresDatabaseInputs, uuid: string, password: string): string {
  return `postgres://${encodeURIComponent(i.user)}:${encodeURIComponent(password)}@${uuid}:5432/${i.database}`;
}

function patchBody(i: PostgresDatabaseInputs, keys: string[]): Record<string, unknown> {
  const all: Record<string, Record<string, unknown>> = {
    name: { name: i.name },
    description: { description: withMarker(i.description, i.owner) },
    image: { image: i.image },
    limits: { limits_memory: i.limits.memory, limits_cpus: i.limits.cpus },
    // Coolify toggles its proxy only when both fields come in one request (notes P28).
    isPublic: { is_public: i.isPublic, ...(i.isPublic ? { public_port: i.publicPort } : {}) },
    publicPort: i.isPublic ? { is_public: true, public_port: i.publicPort } : {},
  };
  return Object.assign({}, ...keys.map((k) => all[k] ?? {}));
}

/**
 * The password of a database this stack created in an earlier run that never recorded it (the
 * run was interrupted, or its answer was lost): PostgreSQL was initialised with the password
 * generated then, so a new one would give the agents a URL that cannot log in. Coolify shows it
 * only to a token with read:sensitive (or root).
 */
async function passwordOfOurs(client: CoolifyClient, uuid: string, name: string): Promise<string> {
  const db = await client.getDatabase(uuid);
  const stored = (db as Record<string, unknown>).postgres_password;
  if (typeof stored === "string" && stored) return stored;
  throw new Error(
    `Database "${name}" (${uuid}) was created by an earlier \`pulumi up\` of this stack that stopped before ` +
      "recording it, and this API token cannot read its password (Coolify shows it only with the " +
      "read:sensitive ability, or root). Give the token read:sensitive and run `pulumi up` again: the " +
      "database is taken over with its password. Nothing was changed.",
  );
}

/** How long a new database may take to report running:healthy (its image may be pulled first). */
const START_TIMEOUT_SECONDS = 600;

/**
 * Waits until a new database reports running:healthy. instant_deploy only queues its start, and
 * agents deployed before it accepts connections crash-loop or fall back to nothing. Only at
 * create: an existing database was waited on when it was made, so later updates pay nothing.
 */
async function waitUntilHealthy(client: CoolifyClient, uuid: string, name: string): Promise<string> {
  const deadline = now() + START_TIMEOUT_SECONDS * 1000 * pollScale();
  for (let attempt = 0; ; attempt++) {
    await sleep(pollDelay(attempt));
    const { status } = await client.getDatabase(uuid);
    if (status.startsWith("running:healthy")) return status;
    if (now() > deadline) {
      throw new Error(
        `Database "${name}" (${uuid}) is "${status}" ${START_TIMEOUT_SECONDS} s after it was created; it never ` +
          "became running:healthy, so no agent was deployed against it. Look at its logs in Coolify (the " +
          "database's Logs tab) and at the server's disk and memory, then run `pulumi up` again: the database " +
          "is kept and waited on again.",
      );
    }
  }
}

function lostDatabaseError(olds: Props): Error {
  return new Error(
    `The database "${String(olds.name)}" (${String(olds.uuid)}) was deleted outside Pulumi: \`pulumi refresh\` found it gone ` +
      "from Coolify, and with it the agents' memory. Nothing was changed. To get the data back, restore the " +
      "last backup into a new database (README: Disaster recovery). To go on with a new, EMPTY database " +
      "instead, say so: `pulumi config set eliza-coolify:databaseRecreateIfLost true` and run `pulumi up` " +
      "(a protected database needs `pulumi state unprotect` on it first); set it back to false afterwards.",
  );
}

/** Why a database does not follow a new server: the new one would be empty. */
function movedDatabase(olds: Props, move: ServerMove): string {
  const where = (p: ServerMove["from"]) =>
    p.serverName ? `"${p.serverName}" (${p.serverUuid})` : p.serverUuid;
  return (
    `the database "${String(olds.name)}" would move from server ${where(move.from)} to ${where(move.to)}` +
    `${move.from.serverUuid === move.to.serverUuid ? " (another destination)" : ""}. Coolify cannot move a ` +
    "database between servers, and a new database there would start EMPTY while this one, the agents' " +
    "memory, is deleted. Keep it where it is: set eliza-coolify:databaseServer to the server it is on (without " +
    "it the first of eliza-coolify:servers is used, so reordering that list moves it). To move the data, " +
    "restore a backup into a database on the new server and use that one (README: Disaster recovery)."
  );
}

export const postgresDatabaseImpl: ResourceImpl = {
  async check(olds, news) {
    // read() marks the inputs of a database it found gone. Replacing it silently would point the
    // agents at an empty database: they would start, answer, and have forgotten everything. Only
    // the user may accept that. (Checked here, not in diff: refresh diffs too, and must succeed.)
    if (olds.lost === true && news.recreateIfLost !== true) throw lostDatabaseError(olds);
    const checked = checkWith(PostgresDatabaseInputsSchema, news);
    const move = olds.lost === true ? undefined : plannedMove(olds, checked.inputs);
    if (move) checked.failures.push({ property: "serverUuid", reason: movedDatabase(olds, move) });
    return checked;
  },

  async diff(_id, olds, news) {
    // Gone from Coolify: a new one replaces it (check has made sure the user accepted that).
    if (olds.lost) return { changes: true, replaces: ["lost"], deleteBeforeReplace: false };
    // A generated password is an output only; compare the declared one (if any) with it.
    const declared = { ...news, password: news.password ?? olds.password };
    const replaces = replacedKeys(olds, declared, REPLACE_KEYS);
    const changed = changedKeys(olds, declared, UPDATABLE);
    return { changes: replaces.length + changed.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(raw) {
    const inputs = raw as unknown as PostgresDatabaseInputs;
    const client = coolifyClient();
    const where = {
      projectUuid: inputs.projectUuid,
      environment: inputs.environment,
      kind: "postgresqls" as const,
    };
    const existing = await findExisting(client, { ...where, label: "database" }, inputs);
    if (existing) {
      // Credentials of an existing database cannot be changed through Coolify: only its stored
      // copy would change. Adopting one needs its real password declared.
      if (existing.adopted && !inputs.password) {
        throw new Error(
          `To adopt the existing database "${inputs.name}" (${existing.uuid}), declare its password ` +
            "(stack config `eliza-coolify:databasePassword`, a secret) so the agent can connect.",
        );
      }
      const password = inputs.password ?? (await passwordOfOurs(client, existing.uuid, inputs.name));
      await client.updateDatabase(
        existing.uuid,
        patchBody(inputs, ["name", "description", "image", "limits"]),
      );
      const outs = {
        ...inputs,
        password,
        uuid: existing.uuid,
        status: await waitUntilHealthy(client, existing.uuid, inputs.name),
        internalUrl: internalUrl(inputs, existing.uuid, password),
      };
      return { id: existing.uuid, outs };
    }
    const password = inputs.password ?? generatePassword();
    let uuid: string;
    try {
      const r = await client.createPostgres({
        project_uuid: inputs.projectUuid,
        environment_name: inputs.environment,
        server_uuid: inputs.serverUuid,
        destination_uuid: inputs.destinationUuid,
        name: inputs.name,
        description: withMarker(inputs.description, inputs.owner),
        image: inputs.image,
        postgres_user: inputs.user,
        postgres_password: password,
        postgres_db: inputs.database,
        limits_memory: inputs.limits.memory,
        limits_cpus: inputs.limits.cpus,
        is_public: inputs.isPublic,
        public_port: inputs.publicPort,
        // Start it now, so it is up by the time the agent deploys (notes P20).
        instant_deploy: true,
      });
      uuid = r.uuid;
    } catch (e) {
      if (!isLostResponse(e)) throw e;
      const found = await findAfterLostCreate(client, where, inputs.owner);
      if (!found) throw e;
      uuid = found;
    }
    const status = await waitUntilHealthy(client, uuid, inputs.name);
    return {
      id: uuid,
      outs: { ...inputs, password, uuid, status, internalUrl: internalUrl(inputs, uuid, password) },
    };
  },

  async read(id, props) {
    try {
      const db = await coolifyClient().getDatabase(id);
      const current: Props = {
        ...props,
        name: db.name,
        description: stripMarker(db.description),
        image: db.image ?? props.image,
        limits: {
          memory:
            db.limits_memory === null || db.limits_memory === undefined
              ? (props.limits as Props).memory
              : String(db.limits_memory),
          cpus:
            db.limits_cpus === null || db.limits_cpus === undefined
              ? (props.limits as Props).cpus
              : String(db.limits_cpus),
        },
        isPublic: db.is_public ?? props.isPublic,
        user: db.postgres_user ?? props.user,
        database: db.postgres_db ?? props.database,
        status: db.status,
      };
      if (!current.isPublic) current.publicPort = props.publicPort;
      return { id, props: current };
    } catch (e) {
      // Not dropped from state, and marked in its inputs too: the next check stops `up` from
      // replacing it with an empty one. The inputs keep only what was declared (no password).
      if (isNotFound(e)) {
        const declared = Object.fromEntries(
          Object.entries(props).filter(([k]) => k in PostgresDatabaseInputsSchema.shape && k !== "password"),
        );
        return {
          id,
          props: { ...props, lost: true, status: "deleted outside Pulumi" },
          inputs: { ...declared, uuid: id, lost: true },
        };
      }
      throw e;
    }
  },

  async update(id, olds, news) {
    const inputs = news as unknown as PostgresDatabaseInputs;
    const changed = changedKeys(olds, news, UPDATABLE);
    const client = coolifyClient();
    if (changed.length > 0) {
      const body = patchBody(inputs, changed);
      if (Object.keys(body).length > 0) await client.updateDatabase(id, body);
      // PATCH restarts nothing (notes 4.7).
      if (inputs.restartOnChange !== false && changed.some((k) => NEEDS_RESTART.includes(k)))
        await client.restartDatabase(id);
    }
    const password = (olds.password as string) ?? inputs.password;
    return { outs: { ...inputs, password, uuid: id, internalUrl: internalUrl(inputs, id, password) } };
  },

  async delete(id, props) {
    if (props.lost) return; // already gone from Coolify
    await deleteQueued("database", id);
  },
};

/** A Coolify-managed PostgreSQL with pgvector. The password and internal URL are secrets. */
export class PostgresDatabase extends CoolifyResource {
  declare readonly uuid: pulumi.Output<string>;
  /** postgres://user:password@<uuid>:5432/db, reachable from containers on the same destination. */
  declare readonly internalUrl: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      owner: ownerOf(name),
      uuid: undefined,
      internalUrl: undefined,
      password: args.password,
    };
    super("PostgresDatabase", name, props, {
      ...opts,
      additionalSecretOutputs: ["password", "internalUrl"],
    });
  }
}
