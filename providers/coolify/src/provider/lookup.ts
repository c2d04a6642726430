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
  await waitForQueuedDeletes(where.kind === "applications" ? "application" : "database");
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
 * Deletes this process asked Coolify for and has not yet seen finish (Coolify deletes in a
 * queued job: until it runs, the object is still listed, keeps its domains and its ownership
 * marker, and its project cannot be deleted).
 */
const queuedDeletes = new Map<string, { kind: "application" | "database"; gone?: Promise<void> }>();

/**
 * Deletes an application or database: returns once Coolify has queued the job, without polling
 * each object to its end. What needs the object really gone waits for it instead: its project's
 * delete (which Coolify refuses with "has resources" until every child is gone: it looks at the
 * environment until it is empty, one request a look for all the children), and a create in this run that could otherwise
 * take a queued object for its own or collide with its domain (waitForQueuedDeletes). So a
 * destroy of many agents does not hold one of the engine's parallel slots per agent for the
 * length of Coolify's job.
 */
export async function deleteQueued(kind: "application" | "database", id: string): Promise<void> {
  const client = coolifyClient();
  try {
    await (kind === "application" ? client.deleteApplication(id) : client.deleteDatabase(id));
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  queuedDeletes.set(id, { kind });
}

/**
 * Waits until every delete of this kind this process queued has finished in Coolify (a GET until
 * 404 each, shared by all callers). A create calls it first: after a delete-before-replace the
 * old object would otherwise still be listed with the same marker and domain.
 */
export async function waitForQueuedDeletes(kind: "application" | "database"): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const [id, q] of queuedDeletes) {
    if (q.kind !== kind) continue;
    q.gone ??= coolifyClient()
      .waitUntilGone(kind, id)
      .then(
        () => {
          queuedDeletes.delete(id);
        },
        (e: unknown) => {
          q.gone = undefined; // a later create asks again rather than failing on a stale error
          throw e;
        },
      );
    waits.push(q.gone);
  }
  await Promise.all(waits);
}

/** Forget queued deletes (tests that start a new simulator, like a new provider process). */
export function forgetQueuedDeletes(): void {
  queuedDeletes.clear();
}
