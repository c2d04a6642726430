// Where a new application or database goes: project, environment, server and destination, checked
// in Coolify's order after the field validator (notes section 3, 4.5.1, 4.7).
import { type Ctx, message, type Reply, validationFailed, validationFailedStrings } from "./http";
import { findEnvironment, findProject, findServer } from "./routes-projects";
import type { Destination, Environment, Project, Server } from "./state";

export interface Placement {
  project: Project;
  environment: Environment;
  server: Server;
  destination: Destination;
}

/**
 * Shared create steps after the field validator: environment presence (422 d), project (404),
 * environment, server (404), destination rules (notes section 3 and 4.5.1 validation order).
 */
export function resolvePlacement(ctx: Ctx, kind: "application" | "database"): Placement | Reply {
  const b = ctx.body;
  const envName = b.environment_name as string | null | undefined;
  const envUuid = b.environment_uuid as string | null | undefined;
  if (!envName && !envUuid)
    return message(422, "You need to provide at least one of environment_name or environment_uuid.");
  const project = findProject(ctx, b.project_uuid);
  if (!project) return message(404, "Project not found.");
  const environment = findEnvironment(ctx, project, String(envName ?? envUuid ?? ""));
  const envByUuid = environment ?? (envUuid ? findEnvironment(ctx, project, String(envUuid)) : undefined);
  if (!envByUuid) {
    // DB create answers 422 here, app create 404 (notes 2.6 (d), 4.7).
    if (kind === "database")
      return message(422, "You need to provide a valid environment_name or environment_uuid.");
    return message(404, "Environment not found.");
  }
  const server = findServer(ctx, b.server_uuid);
  if (!server) return message(404, "Server not found.");
  if (server.is_build_server || server.settings.is_build_server)
    return validationFailed({
      server_uuid: ["The specified server is configured as a build server and cannot host resources."],
    });
  const dests = ctx.core.store.destinations.filter((d) => d.server_id === server.id);
  if (dests.length === 0) return message(400, "Server has no destinations.");
  let destination = dests[0] as Destination;
  // With exactly one destination, destination_uuid is ignored (notes section 3).
  if (dests.length > 1) {
    if (!b.destination_uuid)
      return message(400, "Server has multiple destinations and you do not set destination_uuid.");
    const d = dests.find((x) => x.uuid === b.destination_uuid);
    if (!d)
      return validationFailedStrings({
        destination_uuid: "Provided destination_uuid does not belong to the specified server.",
      });
    destination = d;
  }
  return { project, environment: envByUuid, server, destination };
}
