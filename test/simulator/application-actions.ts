// Start, stop and restart of an application, and the server's deployment queue they go through
// (notes 4.5.5, P30).

import { onAppPeriod } from "./application-lookup";
import { bool, type Ctx, json, message, queryBool } from "./http";
import type { Application } from "./state";
import { newUuid } from "./state";

export function queueFull(ctx: Ctx, app: Application): boolean {
  const server = ctx.core.store.serverOfDestination(app.destination_id);
  const limit = Number(server?.settings.deployment_queue_limit ?? 25);
  return (
    ctx.core.store.deployments.filter((d) => d.server_id === server?.id && d.status === "queued").length >=
    limit
  );
}

export const startApp = onAppPeriod((ctx, app) => {
  const force = queryBool(ctx.query, "force", false) || bool(ctx.body.force, false);
  // P30: a full queue is not reported; the uuid returned never exists.
  if (queueFull(ctx, app))
    return json(200, { message: "Deployment request queued.", deployment_uuid: newUuid() });
  const r = ctx.core.queueDeployment(app, { force, restartOnly: false, isApi: true });
  if (r.skipped) return message(200, "Deployment already queued for this commit.");
  return json(200, { message: "Deployment request queued.", deployment_uuid: r.deployment?.deployment_uuid });
});

export const stopApp = onAppPeriod((ctx, app) => {
  // docker_cleanup (query or body, default true) prunes old images after the stop.
  const cleanup = ctx.query.has("docker_cleanup")
    ? queryBool(ctx.query, "docker_cleanup", true)
    : bool(ctx.body.docker_cleanup, true);
  ctx.core.stopApplication(app, cleanup);
  return message(200, "Application stopping request queued.");
});

export const restartApp = onAppPeriod((ctx, app) => {
  const r = ctx.core.queueDeployment(app, { force: false, restartOnly: true, isApi: true });
  if (r.skipped) return message(200, "Deployment already queued for this commit.");
  return json(200, {
    message: "Restart request queued.",
    deployment_uuid: r.deployment?.deployment_uuid,
  });
});
