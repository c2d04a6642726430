import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CoolifyClient } from "../client/client";
import { CoolifyError, isCoolifyError, isHasResources, isNotFound } from "../client/errors";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { isLostResponse, rememberFreshProject } from "../provider/lookup";
import { markerOwner, ownerOf, stripMarker, withMarker } from "../provider/marker";
import { now, sleep } from "../provider/poll";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

// Project names: 3-255 chars of letters, digits, spaces and - _ . @ / & ( ) # , : + (notes 4.3).
const NAME = /^[\p{L}\p{N} \-_.@/&()#,:+]{3,255}$/u;
const DESCRIPTION = /^[\p{L}\p{N} \-_.,!?()'"+=*@/&]*$/u;
const ENV_NAME = /^[a-z0-9][a-z0-9\-_.]{0,254}$/;

export const ProjectInputsSchema = z.object({
  name: z.string().regex(NAME, "3-255 letters, digits, spaces or - _ . @ / & ( ) # , : +"),
  description: z
    .string()
    .max(200, "at most 200 characters (the ownership marker needs the rest)")
    .regex(DESCRIPTION, "letters, digits, spaces or - _ . , ! ? ( ) ' \" + = * @ / &")
    .default(""),
  environment: z
    .string()
    .regex(ENV_NAME, "lower-case letters, digits and - _ . (Coolify lower-cases environment names)")
    .default("production"),
  /** The server the stack deploys to; found by asking Coolify when not given. */
  serverUuid: z.string().min(1).optional(),
  owner: z.string().min(1),
  adopt: z.boolean().default(false),
});
export type ProjectInputs = z.infer<typeof ProjectInputsSchema>;

export interface ProjectArgs {
  /** The Coolify project name. */
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** The environment the stack's resources go in; created when it is not `production`. */
  environment?: pulumi.Input<string>;
  /** The server to deploy to. Omitted: the only server Coolify has (one extra request at create). */
  serverUuid?: pulumi.Input<string>;
  /** Take over an existing project of the same name that this program did not create. */
  adopt?: pulumi.Input<boolean>;
}

/** The declared server, or the only usable one Coolify has. */
async function resolveServer(client: CoolifyClient, declared: string | undefined): Promise<string> {
  if (declared) return declared;
  const servers = await client.request<{ uuid: string; name?: string; is_usable?: boolean }[]>(
    "GET",
    "/servers",
  );
  const usable = servers.filter((s) => s.is_usable !== false);
  if (usable.length === 1) return (usable[0] as { uuid: string }).uuid;
  const list = servers.map(
    (s) => `${s.uuid} (${s.name ?? "unnamed"}${s.is_usable === false ? ", not usable" : ""})`,
  );
  throw new CoolifyError(
    "configuration",
    usable.length === 0
      ? `Coolify has no usable server${list.length ? `: ${list.join(", ")}` : ""}. Add or validate one in Coolify.`
      : `Coolify has ${usable.length} usable servers: ${list.join(", ")}. Choose one with ` +
          "`pulumi config set eliza-coolify:serverUuid <uuid>`, or list them in eliza-coolify:servers.",
  );
}

const UPDATABLE = ["name", "description"] as const;

/** How long a project's delete waits for its children while none of them goes. */
const STALL_MS = 300_000;

/**
 * Objects still in the stack's environment (as listed, queued deletes included), counted to see
 * whether Coolify's delete jobs are getting on. Another environment's objects count as 0 here:
 * the stall deadline then runs out as before.
 */
async function childrenLeft(
  client: CoolifyClient,
  projectUuid: string,
  environment: string,
): Promise<number> {
  try {
    const env = (await client.getEnvironment(projectUuid, environment)) as unknown as Record<string, unknown>;
    return Object.values(env).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0);
  } catch (e) {
    if (isNotFound(e)) return 0;
    throw e;
  }
}

async function findOwned(client: CoolifyClient, owner: string) {
  const projects = await client.listProjects();
  return projects.find((p) => markerOwner(p.description) === owner);
}

async function ensureEnvironment(client: CoolifyClient, projectUuid: string, name: string): Promise<void> {
  if (name === "production") return; // Coolify creates it with every project.
  const create = async () => {
    try {
      await client.createEnvironment(projectUuid, { name });
    } catch (e) {
      if (!isCoolifyError(e, "conflict")) throw e; // already there: fine
    }
  };
  try {
    await create();
  } catch (e) {
    if (!isLostResponse(e)) throw e;
    // The answer was lost, not necessarily the environment: look before creating it again (and
    // a second one could not be made anyway: Coolify refuses a name twice in one project).
    try {
      await client.getEnvironment(projectUuid, name);
    } catch (lookup) {
      if (!isNotFound(lookup)) throw lookup;
      await create();
    }
  }
}

export const projectImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(ProjectInputsSchema, news);
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, [...UPDATABLE, "environment"]);
    // A newly declared server changes only this output (and, through it, the apps: replace there).
    if (news.serverUuid !== undefined && news.serverUuid !== olds.serverUuid) changed.push("serverUuid");
    // Moving a stack to another environment would move every resource in it: replace.
    const replaces = replacedKeys(olds, news, ["environment"]);
    return { changes: changed.length > 0, replaces };
  },

  async create(raw) {
    const inputs = raw as unknown as ProjectInputs;
    const client = coolifyClient();
    const description = withMarker(inputs.description, inputs.owner);
    // Look for one we made earlier whose create answer never reached us (or whose state was
    // lost): Coolify accepts duplicate names, so a blind POST would make a second project.
    const projects = await client.listProjects();
    let uuid = projects.find((p) => markerOwner(p.description) === inputs.owner)?.uuid;
    if (!uuid) {
      const sameName = projects.find((p) => p.name === inputs.name);
      if (sameName && !inputs.adopt) {
        throw new CoolifyError(
          "conflict",
          `A Coolify project named "${inputs.name}" already exists (uuid ${sameName.uuid}) and was not created ` +
            "by this program. Pick another project name, or take it over with `adopt: true` " +
            "(stack config `eliza-coolify:adopt: true`).",
        );
      }
      if (sameName) {
        uuid = sameName.uuid;
        await client.updateProject(uuid, { description });
      }
    } else {
      // Reconciled: bring name and description to what is declared.
      const existing = projects.find((p) => p.uuid === uuid);
      if (existing && (existing.name !== inputs.name || existing.description !== description)) {
        await client.updateProject(uuid, { name: inputs.name, description });
      }
    }
    if (!uuid) {
      try {
        uuid = (await client.createProject({ name: inputs.name, description })).uuid;
        rememberFreshProject(uuid);
      } catch (e) {
        // The answer may have been lost after Coolify created it: look before giving up.
        if (!isLostResponse(e)) throw e;
        const found = await findOwned(client, inputs.owner);
        if (!found) throw e;
        uuid = found.uuid;
      }
    }
    await ensureEnvironment(client, uuid, inputs.environment);
    const serverUuid = await resolveServer(client, inputs.serverUuid);
    return { id: uuid, outs: { ...inputs, uuid, serverUuid } };
  },

  async read(id, props) {
    const client = coolifyClient();
    try {
      const p = await client.getProject(id);
      return { id, props: { ...props, name: p.name, description: stripMarker(p.description), uuid: p.uuid } };
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
  },

  async update(id, olds, news) {
    const inputs = news as unknown as ProjectInputs;
    const client = coolifyClient();
    if (changedKeys(olds, news, UPDATABLE).length > 0) {
      await client.updateProject(id, {
        name: inputs.name,
        description: withMarker(inputs.description, inputs.owner),
      });
    }
    const serverUuid = inputs.serverUuid ?? (olds.serverUuid as string | undefined);
    return { outs: { ...inputs, uuid: id, serverUuid: await resolveServer(client, serverUuid) } };
  },

  async delete(id, props) {
    const client = coolifyClient();
    // Coolify refuses the project (400 "has resources") until the queued jobs deleting its
    // children have run; the children's deletes do not wait for that (lookup.ts deleteQueued),
    // so this waits once for all of them: one request a look, however many children. It gives
    // up only when nothing has gone for five minutes, so a long queue of deletes is fine.
    const environment = typeof props.environment === "string" ? props.environment : "production";
    let remaining = Number.POSITIVE_INFINITY;
    let deadline = now() + STALL_MS;
    let delay = 500;
    for (;;) {
      try {
        await client.deleteProject(id);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isHasResources(e)) throw e;
      }
      // Look at the environment until it is empty (one GET a look), then try the delete again.
      for (;;) {
        await sleep(delay);
        const left = await childrenLeft(client, id, environment);
        // Close looks while the jobs get on (the last one often ends seconds after the last
        // delete), wider ones once nothing moves.
        if (left < remaining) {
          remaining = left;
          deadline = now() + STALL_MS;
          delay = Math.min(delay * 2, 2_000);
        } else if (now() <= deadline) {
          delay = Math.min(delay * 2, 5_000);
        } else {
          throw new CoolifyError(
            "timeout",
            `Coolify still refuses to delete project ${id} ("has resources"): ${left} applications, databases ` +
              `or services in environment "${environment}" (or others in another environment) have not gone ` +
              `for ${STALL_MS / 60_000} minutes. Coolify deletes in a background job: check that its queue ` +
              "worker runs and that no deletion failed (Coolify UI -> the project), delete by hand what is not " +
              "this stack's, then run destroy again.",
          );
        }
        if (left === 0) break;
      }
    }
  },
};

/** A Coolify project (and the environment the stack uses in it). */
export class Project extends CoolifyResource {
  declare readonly uuid: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly environment: pulumi.Output<string>;
  /** The declared server, or the one found at create. */
  declare readonly serverUuid: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      owner: ownerOf(name),
      uuid: undefined,
      serverUuid: args.serverUuid,
    };
    super("Project", name, props, opts);
  }
}
