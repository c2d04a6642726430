// Deployments, POST /deploy and GET /resources (notes 4.8, 4.9, 2.5, P30, P33).
import {
  bool,
  type Ctx,
  json,
  message,
  onItem,
  postOnly,
  type Reply,
  type Route,
  SERVER_ERROR,
} from "./http";
import { findApp, onAppPeriod } from "./routes-applications";
import { findDb } from "./routes-databases";
import type { Deployment, Row } from "./state";

function teamDeployments(ctx: Ctx): Deployment[] {
  const ids = new Set(ctx.core.store.teamApplications(ctx.teamId).map((a) => a.id));
  return ctx.core.store.deployments.filter((d) => ids.has(d.application_id));
}

/** A route on the deployment in the path: 404 unless it belongs to one of the team's applications. */
const onDeployment = onItem(
  (ctx, uuid) => teamDeployments(ctx).find((d) => d.deployment_uuid === uuid),
  "Deployment not found.",
);

function param(ctx: Ctx, key: string): unknown {
  const q = ctx.query.get(key);
  if (q !== null) return q;
  return ctx.body[key];
}

function deploy(ctx: Ctx): Reply {
  const uuidParam = param(ctx, "uuid");
  const tagParam = param(ctx, "tag");
  // P33: a JSON array for uuid reaches string functions and gives a 500.
  if (Array.isArray(uuidParam) || Array.isArray(tagParam)) return SERVER_ERROR;
  const force = bool(param(ctx, "force"), false);
  const pr = param(ctx, "pr") ?? param(ctx, "pull_request_id");
  if (uuidParam && tagParam) return message(400, "You can only use uuid or tag, not both.");
  if (tagParam && pr) return message(400, "You can only use tag or pull_request_id, not both.");
  if (!uuidParam && !tagParam) return message(400, "You must provide uuid or tag.");
  const s = ctx.core.store;
  const queueLimitReached = (serverId: number) => {
    const server = s.servers.find((x) => x.id === serverId);
    const limit = Number(server?.settings.deployment_queue_limit ?? 25);
    return s.deployments.filter((d) => d.server_id === serverId && d.status === "queued").length >= limit;
  };
  const queueFullReply = (): Reply =>
    json(
      429,
      { message: "Deployment queue is full. Please wait for existing deployments to complete." },
      { "Retry-After": "60" },
    );

  if (tagParam) {
    const tags = String(tagParam)
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean);
    const apps = s.teamApplications(ctx.teamId).filter((a) => a.tags.some((t) => tags.includes(t)));
    if (apps.length === 0) return message(404, "No resources found with this tag.");
    const messages: string[] = [];
    const details: Row[] = [];
    for (const app of apps) {
      const server = s.serverOfDestination(app.destination_id);
      if (server && queueLimitReached(server.id)) return queueFullReply();
      const r = ctx.core.queueDeployment(app, { force, restartOnly: false, isApi: true });
      if (r.skipped) messages.push("Deployment already queued for this commit.");
      else {
        messages.push(`Application ${app.name} deployment queued.`);
        details.push({ resource_uuid: app.uuid, deployment_uuid: r.deployment?.deployment_uuid });
      }
    }
    return json(200, { message: messages, details });
  }

  const uuids = String(uuidParam)
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  const results: Row[] = [];
  for (const uuid of uuids) {
    const app = findApp(ctx, uuid);
    if (app) {
      const server = s.serverOfDestination(app.destination_id);
      if (server && queueLimitReached(server.id)) return queueFullReply();
      const r = ctx.core.queueDeployment(app, { force, restartOnly: false, isApi: true });
      if (r.skipped)
        results.push({ message: "Deployment already queued for this commit.", resource_uuid: app.uuid });
      else
        results.push({
          message: `Application ${app.name} deployment queued.`,
          resource_uuid: app.uuid,
          deployment_uuid: r.deployment?.deployment_uuid,
        });
      continue;
    }
    const db = findDb(ctx, uuid);
    if (db) {
      if (!db.status.includes("running")) {
        db.status = "starting:unknown";
        ctx.core.setDatabaseStatusLater(db, "running:healthy");
      }
      results.push({ message: `Database ${db.name} started.`, resource_uuid: db.uuid });
    }
  }
  if (results.length === 0) return message(404, "No resources found.");
  return json(200, { deployments: results });
}

export const deploymentRoutes: Route[] = [
  {
    method: "GET",
    template: "/deployments",
    ability: "read",
    handler: (ctx) =>
      json(
        200,
        teamDeployments(ctx)
          .filter((d) => d.status === "queued" || d.status === "in_progress")
          .sort((a, b) => a.id - b.id)
          .map((d) => ctx.core.deploymentView(d, ctx.sensitive)),
      ),
  },
  {
    method: "GET",
    template: "/deployments/applications/{uuid}",
    ability: "read",
    handler: onAppPeriod((ctx, app) => {
      const skip = Math.max(0, Number.parseInt(ctx.query.get("skip") ?? "0", 10) || 0);
      const take = Math.max(1, Number.parseInt(ctx.query.get("take") ?? "10", 10) || 10);
      const all = ctx.core.store.deployments
        .filter((d) => d.application_id === app.id)
        .sort((a, b) => b.id - a.id);
      // notes 1.2 / 2.7: {count, deployments}, newest first.
      return json(200, {
        count: all.length,
        deployments: all.slice(skip, skip + take).map((d) => ctx.core.deploymentView(d, ctx.sensitive)),
      });
    }),
  },
  {
    method: "GET",
    template: "/deployments/{uuid}",
    ability: "read",
    handler: onDeployment((ctx, dep) => json(200, ctx.core.deploymentView(dep, ctx.sensitive))),
  },
  {
    method: "POST",
    template: "/deployments/{uuid}/cancel",
    ability: "deploy",
    handler: onDeployment((ctx, dep) => {
      if (dep.status !== "queued" && dep.status !== "in_progress")
        return message(400, `Deployment cannot be cancelled. Current status: ${dep.status}`);
      dep.status = "cancelled-by-user";
      dep.finished_at = ctx.core.stamp();
      ctx.core.pump(dep.server_id);
      return json(200, {
        message: "Deployment cancelled successfully.",
        deployment_uuid: dep.deployment_uuid,
        status: "cancelled-by-user",
      });
    }),
  },
  { method: "POST", template: "/deploy", ability: "deploy", handler: deploy },
  { method: "GET", template: "/deploy", ability: null, handler: postOnly },
  {
    method: "GET",
    template: "/resources",
    ability: "read",
    handler: (ctx) =>
      json(200, [
        ...ctx.core.store
          .teamApplications(ctx.teamId)
          .map((a) => ({ ...ctx.core.appView(a, ctx.sensitive, false), type: "application" })),
        ...ctx.core.store
          .teamDatabases(ctx.teamId)
          .map((d) => ({ ...ctx.core.dbView(d, ctx.sensitive, false), type: "standalone-postgresql" })),
      ]),
  },
];
