// Applications: create by kind, read, update, delete, and start, stop, restart (notes 4.5).
import { CoolifyError } from "../errors";
import {
  type Application,
  ApplicationSchema,
  CreateApplicationResponseSchema,
  QueuedDeploymentResponseSchema,
} from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";
import { deleteQueued, patchFields } from "./writes";

export type ApplicationKind = "dockerimage" | "dockerfile" | "public";

export async function createApplication(
  t: Transport,
  kind: ApplicationKind,
  body: Record<string, unknown>,
): Promise<{ uuid: string; domains?: string | null }> {
  if (kind !== "dockerimage" && kind !== "dockerfile" && kind !== "public") {
    throw new CoolifyError("configuration", `Unknown application kind "${String(kind)}".`);
  }
  const path = `/applications/${kind}`;
  const r = await t.request("POST", path, {
    body: withoutUndefined(body),
    schema: CreateApplicationResponseSchema.partial({ uuid: true }),
  });
  if (!r.uuid) {
    // With instant_deploy and a deployment already queued for the commit, Coolify creates the
    // app but answers 200 without its uuid (notes P29).
    throw new CoolifyError(
      "bad_response",
      `Coolify created the application but did not return its uuid (POST ${path} answered ` +
        `${JSON.stringify(r.message ?? "")}). Look it up by name; avoid instant_deploy on create.`,
      { method: "POST", path },
    );
  }
  return { uuid: r.uuid, domains: r.domains ?? null };
}

export function getApplication(t: Transport, uuid: string): Promise<Application> {
  return t.request("GET", `/applications/${seg(uuid)}`, { schema: ApplicationSchema });
}

export function listApplications(t: Transport, query?: { tag?: string }): Promise<Application[]> {
  return t.request("GET", "/applications", { query, schema: ApplicationSchema.array() });
}

export async function updateApplication(
  t: Transport,
  uuid: string,
  body: Record<string, unknown>,
): Promise<void> {
  await patchFields(t, `/applications/${seg(uuid)}`, body);
}

/** Only queues the deletion; use waitUntilGone("application", uuid) to wait for it. */
export async function deleteApplication(
  t: Transport,
  uuid: string,
  opts: { deleteVolumes?: boolean } = {},
): Promise<void> {
  await deleteQueued(t, `/applications/${seg(uuid)}`, opts);
}

export async function startApplication(
  t: Transport,
  uuid: string,
  opts: { force?: boolean } = {},
): Promise<{ deploymentUuid: string | null; message: string }> {
  const r = await t.request("POST", `/applications/${seg(uuid)}/start`, {
    query: { force: opts.force },
    schema: QueuedDeploymentResponseSchema,
  });
  return { deploymentUuid: r.deployment_uuid ?? null, message: r.message ?? "" };
}

export async function restartApplication(
  t: Transport,
  uuid: string,
): Promise<{ deploymentUuid: string | null }> {
  const r = await t.request("POST", `/applications/${seg(uuid)}/restart`, {
    schema: QueuedDeploymentResponseSchema,
  });
  return { deploymentUuid: r.deployment_uuid ?? null };
}

/**
 * Queues the stop (the status turns "exited" once the job ran). Coolify prunes the server's old
 * images after a stop unless docker_cleanup is false, which also shrinks what a rollback finds.
 */
export async function stopApplication(
  t: Transport,
  uuid: string,
  opts: { dockerCleanup?: boolean } = {},
): Promise<void> {
  await t.request("POST", `/applications/${seg(uuid)}/stop`, {
    query: { docker_cleanup: opts.dockerCleanup },
  });
}
