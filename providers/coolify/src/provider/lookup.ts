import type { CoolifyClient } from "../client/client";
import { CoolifyError, isCoolifyError, isNotFound } from "../client/errors";
import { coolifyClient } from "./context";
import { markerOwner } from "./marker";

/**
 * Projects this process created. Their environments were empty at creation, so an application
 * or database created in them right after cannot have a twin from an earlier lost create: the
 * environment lookup below is skipped, saving a request per create.
 */
const freshProjects = new Set<string>();

export function rememberFreshProject(uuid: string): void {
  freshProjects.add(uuid);
}

export type EnvironmentKind = "applications" | "postgresqls";

interface Candidate {
  uuid: string;
  name: string;
  description?: string | null;
}

/** Concurrent creates in one environment share one GET. */
const inflight = new Map<string, Promise<Record<string, Candidate[]>>>();

async function environmentResources(
  client: CoolifyClient,
  projectUuid: string,
  environment: string,
): Promise<Record<string, Candidate[]>> {
  const key = `${projectUuid}/${environment}`;
  let p = inflight.get(key);
  if (!p) {
    p = client
      .getEnvironment(projectUuid, environment)
      .then((env) => env as unknown as Record<string, Candidate[]>);
    inflight.set(key, p);
    // Only concurrent callers share it; later ones must see objects created since.
    p.finally(() => setTimeout(() => inflight.delete(key), 0)).catch(() => {});
  }
  return p;
}

/**
 * Finds the object this program created earlier (by ownership marker) or, when the user asked to
 * adopt, an unmarked one with the same name. An unmarked same-name object without `adopt` is an
 * error that says how to adopt it. Returns undefined when a fresh create is needed.
 */
export async function findExisting(
  client: CoolifyClient,
  where: { projectUuid: string; environment: string; kind: EnvironmentKind; label: string },
  want: { name: string; owner: string; adopt: boolean },
): Promise<{ uuid: string; adopted: boolean } | undefined> {
  if (freshProjects.has(where.projectUuid)) return undefined;
  let lists: Record<string, Candidate[]>;
  try {
    lists = await environmentResources(client, where.projectUuid, where.environment);
  } catch (e) {
    // A missing environment has nothing in it; the create itself will report the real problem.
    if (isCoolifyError(e, "not_found")) return undefined;
    throw e;
  }
  const items = lists[where.kind] ?? [];
  const mine = items.find((i) => markerOwner(i.description) === want.owner);
  if (mine) return { uuid: mine.uuid, adopted: false };
  const sameName = items.find((i) => i.name === want.name && !markerOwner(i.description));
  if (sameName && want.adopt) return { uuid: sameName.uuid, adopted: true };
  if (sameName) {
    throw new CoolifyError(
      "conflict",
      `A Coolify ${where.label} named "${want.name}" already exists in environment "${where.environment}" ` +
        `(uuid ${sameName.uuid}) and was not created by this program. Rename yours, delete that one, or take it ` +
        "over with `adopt: true` (stack config `eliza-coolify:adopt: true`).",
    );
  }
  return undefined;
}

/**
 * During a move to another server: this program's applications of `owner` in the environment,
 * split into the one on the target server (an earlier create whose answer was lost) and the
 * others (the application being moved away, deleted once its replacement is up). The marker
 * alone cannot tell them apart; the target server's resource list can (one GET).
 */
export async function findOwnedDuringMove(
  client: CoolifyClient,
  where: { projectUuid: string; environment: string },
  owner: string,
  targetServerUuid: string,
): Promise<{ onTarget?: string; elsewhere: string[] }> {
  let lists: Record<string, Candidate[]>;
  try {
    lists = await environmentResources(client, where.projectUuid, where.environment);
  } catch (e) {
    if (isCoolifyError(e, "not_found")) return { elsewhere: [] };
    throw e;
  }
  const mine = (lists.applications ?? []).filter((i) => markerOwner(i.description) === owner);
  if (mine.length === 0) return { elsewhere: [] };
  const here = new Set((await client.listServerResources(targetServerUuid)).map((r) => r.uuid));
  return {
    onTarget: mine.find((i) => here.has(i.uuid))?.uuid,
    elsewhere: mine.filter((i) => !here.has(i.uuid)).map((i) => i.uuid),
  };
}

/** After a create whose answer was lost: the object, if Coolify made it anyway. */
export async function findAfterLostCreate(
  client: CoolifyClient,
  where: { projectUuid: string; environment: string; kind: EnvironmentKind },
  owner: string,
): Promise<string | undefined> {
  const env = (await client.getEnvironment(where.projectUuid, where.environment)) as unknown as Record<
    string,
    Candidate[]
  >;
  return (env[where.kind] ?? []).find((i) => markerOwner(i.description) === owner)?.uuid;
}

export function isLostResponse(e: unknown): boolean {
  return isCoolifyError(e, "network") || isCoolifyError(e, "timeout");
}

/**
 * Deletes an application or database and waits until Coolify's queued job has really removed
 * it, so the project (deleted after its children) is not refused with "has resources".
 */
export async function deleteAndWait(kind: "application" | "database", id: string): Promise<void> {
  const client = coolifyClient();
  try {
    await (kind === "application" ? client.deleteApplication(id) : client.deleteDatabase(id));
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  await client.waitUntilGone(kind, id);
}
