// Servers, their resources and destinations (notes 4.4; Coolify's ServersController and
// DestinationsController at 4.3.11).
import { type Ctx, json, message, type Reply, type Route, unknownFields, validationFailed } from "./http";
import { findServer } from "./routes-projects";
import { type Destination, newUuid, type Server } from "./state";

/**
 * `firstOrFail()` in DestinationsController: Laravel turns the missing model into a 404 whose
 * message names the model class (not Coolify's usual "... not found.").
 */
const noSuchModel = (model: string): Reply =>
  message(404, `No query results for model [App\\Models\\${model}].`);

function destinationView(d: Destination, server: Server) {
  return {
    uuid: d.uuid,
    name: d.name,
    network: d.network,
    type: d.type,
    server_uuid: server.uuid,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}

/** The team's destinations with their servers (destinations are scoped through their server). */
function teamDestinations(ctx: Ctx): { d: Destination; server: Server }[] {
  const s = ctx.core.store;
  return s.destinations.flatMap((d) => {
    const server = s.servers.find((x) => x.id === d.server_id && x.team_id === ctx.teamId);
    return server ? [{ d, server }] : [];
  });
}

/** definedResources(): the applications and databases on the server's destinations. */
function serverResources(ctx: Ctx, server: Server) {
  const s = ctx.core.store;
  const here = new Set(s.destinations.filter((d) => d.server_id === server.id).map((d) => d.id));
  return [
    ...s.applications.filter((a) => here.has(a.destination_id)).map((a) => ({ row: a, type: "application" })),
    ...s.databases
      .filter((db) => here.has(db.destination_id))
      .map((db) => ({ row: db, type: "standalone-postgresql" })),
  ].map(({ row, type }) => ({
    id: row.id,
    uuid: row.uuid,
    name: row.name,
    type,
    created_at: row.created_at,
    updated_at: row.updated_at,
    status: row.status,
  }));
}

const NETWORK_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

function createDestination(ctx: Ctx): Reply {
  const server = ctx.core.store.servers.find(
    (x) => x.uuid === ctx.params.server_uuid && x.team_id === ctx.teamId,
  );
  if (!server) return noSuchModel("Server");
  const b = ctx.body;
  const errors: Record<string, string[]> = unknownFields(b, new Set(["name", "network", "type"]));
  if (b.network === undefined || b.network === null) errors.network = ["This field is required."];
  else if (typeof b.network !== "string") errors.network = ["The network field must be a string."];
  else if (b.network.length > 255)
    errors.network = ["The network field must not be greater than 255 characters."];
  else if (!NETWORK_RE.test(b.network)) errors.network = ["The network field format is invalid."];
  if (b.name !== undefined && b.name !== null && typeof b.name !== "string")
    errors.name = ["The name field must be a string."];
  if (b.type !== undefined && b.type !== null && b.type !== "standalone" && b.type !== "swarm")
    errors.type = ["The selected type is invalid."];
  if (Object.keys(errors).length > 0) return validationFailed(errors);
  // The simulator's servers are standalone Docker hosts, never swarm managers.
  if ((b.type ?? "standalone") !== "standalone")
    return message(422, "Destination type must be standalone for this server.");
  const s = ctx.core.store;
  if (s.destinations.some((d) => d.server_id === server.id && d.network === b.network))
    return message(409, "A destination with this network already exists on the server.");
  const ts = ctx.core.stamp();
  const d: Destination = {
    id: s.nextId("destinations"),
    uuid: newUuid(),
    name: (b.name as string | null | undefined) || `${server.name}-${b.network}`,
    network: String(b.network),
    server_id: server.id,
    type: "standalone",
    created_at: ts,
    updated_at: ts,
  };
  s.destinations.push(d);
  return json(201, destinationView(d, server));
}

export const serverRoutes: Route[] = [
  {
    method: "GET",
    template: "/servers",
    ability: "read",
    // The list selects a few columns only (no proxy, no validation logs); is_coolify_host is an
    // appended attribute, so it comes along.
    handler: (ctx) =>
      json(
        200,
        ctx.core.store.servers
          .filter((s) => s.team_id === ctx.teamId)
          .map((s) => {
            const v = ctx.core.serverView(s, ctx.sensitive);
            return {
              uuid: v.uuid,
              name: v.name,
              description: v.description,
              ip: v.ip,
              user: v.user,
              port: v.port,
              is_reachable: v.is_reachable,
              is_usable: v.is_usable,
              is_coolify_host: v.is_coolify_host,
              settings: v.settings,
            };
          }),
      ),
  },
  {
    method: "GET",
    template: "/servers/{uuid}",
    ability: "read",
    handler: (ctx) => {
      const server = findServer(ctx, ctx.params.uuid);
      if (!server) return message(404, "Server not found.");
      const view = ctx.core.serverView(server, ctx.sensitive);
      if (ctx.query.get("resources")) view.resources = serverResources(ctx, server);
      return json(200, view);
    },
  },
  {
    method: "GET",
    template: "/servers/{uuid}/resources",
    ability: "read",
    handler: (ctx) => {
      const server = findServer(ctx, ctx.params.uuid);
      if (!server) return message(404, "Server not found.");
      return json(200, serverResources(ctx, server));
    },
  },
  {
    method: "GET",
    template: "/servers/{server_uuid}/destinations",
    ability: "read",
    handler: (ctx) => {
      const server = findServer(ctx, ctx.params.server_uuid);
      if (!server) return noSuchModel("Server");
      return json(
        200,
        ctx.core.store.destinations
          .filter((d) => d.server_id === server.id)
          .map((d) => destinationView(d, server)),
      );
    },
  },
  {
    method: "POST",
    template: "/servers/{server_uuid}/destinations",
    ability: "write",
    bodyCheck: true,
    handler: createDestination,
  },
  {
    method: "GET",
    template: "/destinations",
    ability: "read",
    handler: (ctx) =>
      json(
        200,
        teamDestinations(ctx).map(({ d, server }) => destinationView(d, server)),
      ),
  },
  {
    method: "GET",
    template: "/destinations/{uuid}",
    ability: "read",
    handler: (ctx) => {
      const found = teamDestinations(ctx).find(({ d }) => d.uuid === ctx.params.uuid);
      // The lookup tries standalone, then swarm destinations: the last model is the one named.
      return found ? json(200, destinationView(found.d, found.server)) : noSuchModel("SwarmDocker");
    },
  },
];
