// Deployments: POST /deploy and reading them back (notes 4.8, 4.9).
import { CoolifyError } from "../errors";
import {
  ApplicationDeploymentsSchema,
  type Deployment,
  DeploymentSchema,
  DeployResponseSchema,
} from "../schemas";
import type { Transport } from "../transport";
import { seg } from "./encode";

/**
 * POST /deploy?uuid=... (POST only since 4.2; uuid as a string, never a JSON array: notes P15,
 * P33). When a deployment for the same commit is already queued Coolify returns no uuid; the
 * queued or running one is looked up and returned instead.
 */
export async function deploy(
  t: Transport,
  appUuid: string,
  opts: { force?: boolean } = {},
): Promise<{ deploymentUuid: string }> {
  const r = await t.request("POST", "/deploy", {
    query: { uuid: appUuid, force: opts.force },
    schema: DeployResponseSchema,
  });
  const entry = r.deployments.find((d) => d.resource_uuid === appUuid) ?? r.deployments[0];
  if (entry?.deployment_uuid) return { deploymentUuid: entry.deployment_uuid };
  const active = await listApplicationDeployments(t, appUuid, { take: 5 });
  const running = active.deployments.find((d) => d.status === "queued" || d.status === "in_progress");
  if (running) return { deploymentUuid: running.deployment_uuid };
  throw new CoolifyError(
    "bad_response",
    `Coolify accepted POST /deploy for application ${appUuid} but returned no deployment ` +
      `(${JSON.stringify(entry?.message ?? "")}) and none is queued or running.`,
    { method: "POST", path: "/deploy" },
  );
}

export function getDeployment(t: Transport, deploymentUuid: string): Promise<Deployment> {
  return t.request("GET", `/deployments/${seg(deploymentUuid)}`, { schema: DeploymentSchema });
}

/** Newest first. */
export function listApplicationDeployments(
  t: Transport,
  appUuid: string,
  opts: { skip?: number; take?: number } = {},
): Promise<{ count: number; deployments: Deployment[] }> {
  return t.request("GET", `/deployments/applications/${seg(appUuid)}`, {
    query: { skip: opts.skip, take: opts.take },
    schema: ApplicationDeploymentsSchema,
  });
}
