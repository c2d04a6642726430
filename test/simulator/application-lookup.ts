// Finding the team's applications: the list, one by the path's {uuid}, and the 404 around handlers.
import { type Ctx, json, onItem, type Reply } from "./http";
import type { Application } from "./state";

export function findApp(ctx: Ctx, uuid: string | undefined): Application | undefined {
  return ctx.core.store.teamApplications(ctx.teamId).find((a) => a.uuid === uuid);
}

/**
 * Routes on the application in the path: 404 unless the team has it. Coolify's 404 message ends in
 * a full stop on GET, start, stop, restart and the deployments list (onAppPeriod), not elsewhere.
 */
export const onApp = onItem(findApp, "Application not found");
export const onAppPeriod = onItem(findApp, "Application not found.");

/** GET /applications: the team's applications by name, optionally those with a tag. */
export function listApplications(ctx: Ctx): Reply {
  const tag = ctx.query.get("tag");
  const apps = ctx.core.store
    .teamApplications(ctx.teamId)
    .filter((a) => !tag || a.tags.includes(tag.toLowerCase()))
    .sort((a, b) => a.name.localeCompare(b.name));
  return json(
    200,
    apps.map((a) => ctx.core.appView(a, ctx.sensitive, false)),
  );
}

export const showApplication = onAppPeriod((ctx, app) =>
  json(200, ctx.core.appView(app, ctx.sensitive, true)),
);
