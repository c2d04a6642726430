// Version, enable/disable, teams, servers, projects and environments (notes 4.1 - 4.4).
import { clone } from "./core";
import {
  type Ctx,
  json,
  message,
  onItem,
  postOnly,
  type Reply,
  type Route,
  unknownFields,
  validationFailed,
} from "./http";
import { serverRoutes } from "./routes-servers";
import type { Environment, Project, Server } from "./state";
import { newUuid } from "./state";

// notes 4.3: name 3-255 chars: letters (incl. Unicode), digits, spaces and - _ . @ / & ( ) # , : +
const NAME_RE = /^[\p{L}\p{M}\p{N}\s\-_.@/&()#,:+]+$/u;
// description: letters, digits, spaces and - _ . , ! ? ( ) ' " + = * @ / &
const DESCRIPTION_RE = /^[\p{L}\p{M}\p{N}\s\-_.,!?()'"+=*@/&]*$/u;

function nameErrors(body: Record<string, unknown>, required: boolean): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const name = body.name;
  if (name === undefined || name === null) {
    if (required) errors.name = ["This field is required."];
  } else if (typeof name !== "string") {
    errors.name = ["The name field must be a string."];
  } else if (name.length < 3) {
    errors.name = ["The name field must be at least 3 characters."];
  } else if (name.length > 255) {
    errors.name = ["The name field must not be greater than 255 characters."];
  } else if (!NAME_RE.test(name)) {
    errors.name = [
      "The name may only contain letters, numbers, spaces, dashes, underscores, dots, slashes, colons, parentheses, at signs, ampersands, hashes, commas and plus signs.",
    ];
  }
  const d = body.description;
  if (d !== undefined && d !== null) {
    if (typeof d !== "string") errors.description = ["The description field must be a string."];
    else if (d.length > 255)
      errors.description = ["The description field must not be greater than 255 characters."];
    else if (!DESCRIPTION_RE.test(d)) errors.description = ["The description contains invalid characters."];
  }
  return errors;
}

export function findProject(ctx: Ctx, uuid: unknown): Project | undefined {
  return ctx.core.store.projects.find((p) => p.uuid === uuid && p.team_id === ctx.teamId);
}

export function findServer(ctx: Ctx, uuid: unknown): Server | undefined {
  return ctx.core.store.servers.find((s) => s.uuid === uuid && s.team_id === ctx.teamId);
}

/** Environment lookup: name first (inside the project), then uuid (notes section 3). */
export function findEnvironment(ctx: Ctx, project: Project, nameOrUuid: string): Environment | undefined {
  const envs = ctx.core.store.environments.filter((e) => e.project_id === project.id);
  return envs.find((e) => e.name === nameOrUuid) ?? envs.find((e) => e.uuid === nameOrUuid);
}

type Errors = Record<string, string[]>;

/** Runs `handle` only when `errorsOf` finds nothing; otherwise 422. Validation comes before lookups. */
const validated =
  (errorsOf: (ctx: Ctx) => Errors, handle: (ctx: Ctx) => Reply) =>
  (ctx: Ctx): Reply => {
    const errors = errorsOf(ctx);
    return Object.keys(errors).length ? validationFailed(errors) : handle(ctx);
  };

const NAME_AND_DESCRIPTION = new Set(["name", "description"]);

/** A body of name and description only (projects, environment PATCH). */
const nameBody = (required: boolean, handle: (ctx: Ctx) => Reply) =>
  validated(
    (ctx) => ({ ...nameErrors(ctx.body, required), ...unknownFields(ctx.body, NAME_AND_DESCRIPTION) }),
    handle,
  );

/** A route under /projects/{uuid}: 404 unless the team has that project. */
const inProject = onItem(findProject, "Project not found.");

/** A route under /projects/{uuid}/{environment_name_or_uuid}: 404 unless both exist. */
const inEnvironment = (handle: (ctx: Ctx, p: Project, env: Environment) => Reply) =>
  inProject((ctx, p) => {
    const env = findEnvironment(ctx, p, ctx.params.environment_name_or_uuid ?? "");
    return env ? handle(ctx, p, env) : message(404, "Environment not found.");
  });

function envHasResources(ctx: Ctx, env: Environment): boolean {
  const s = ctx.core.store;
  // Resources whose queued deletion has not finished still count (notes 4.3, P6).
  return (
    s.applications.some((a) => a.environment_id === env.id) ||
    s.databases.some((d) => d.environment_id === env.id)
  );
}

/** Environment names are stored lower-cased, trimmed, with `/` replaced by `-` (notes section 3). */
function normaliseEnvName(name: string): string {
  return name.trim().toLowerCase().replace(/\//g, "-");
}

function createEnvironment(ctx: Ctx, project: Project, name: string): Environment {
  const ts = ctx.core.stamp();
  const env: Environment = {
    id: ctx.core.store.nextId("environments"),
    uuid: newUuid(),
    name: normaliseEnvName(name),
    description: null,
    project_id: project.id,
    created_at: ts,
    updated_at: ts,
  };
  ctx.core.store.environments.push(env);
  return env;
}

function projectSummary(p: Project) {
  return { id: p.id, uuid: p.uuid, name: p.name, description: p.description };
}

function envSummary(e: Environment) {
  return {
    id: e.id,
    uuid: e.uuid,
    name: e.name,
    description: e.description,
    project_id: e.project_id,
    created_at: e.created_at,
    updated_at: e.updated_at,
  };
}

const enableDisable =
  (enabled: boolean) =>
  (ctx: Ctx): Reply => {
    // notes 2.4: root team only.
    if (ctx.teamId !== 0)
      return message(403, `You are not allowed to ${enabled ? "enable" : "disable"} the API.`);
    ctx.core.store.apiEnabled = enabled;
    return message(200, enabled ? "API enabled." : "API disabled.");
  };

export const projectRoutes: Route[] = [
  {
    method: "GET",
    template: "/version",
    ability: "read",
    // notes 4.1: text/html body, the bare version string.
    handler: (ctx) => ({
      status: 200,
      text: ctx.core.opts.version,
      headers: { "Content-Type": "text/html; charset=UTF-8" },
    }),
  },
  { method: "POST", template: "/enable", ability: "write", noApiGate: true, handler: enableDisable(true) },
  { method: "POST", template: "/disable", ability: "write", noApiGate: true, handler: enableDisable(false) },
  { method: "GET", template: "/enable", ability: null, noApiGate: true, handler: postOnly },
  { method: "GET", template: "/disable", ability: null, noApiGate: true, handler: postOnly },

  // ------------------------------------------------------------------ teams
  {
    method: "GET",
    template: "/teams",
    ability: "read",
    handler: (ctx) => json(200, ctx.core.store.teams.filter((t) => t.id === ctx.teamId).map(clone)),
  },
  {
    method: "GET",
    template: "/team",
    ability: "read",
    handler: (ctx) => {
      const team = ctx.core.store.teams.find((t) => t.id === ctx.teamId);
      return team ? json(200, clone(team)) : message(404, "Team not found.");
    },
  },
  {
    method: "GET",
    template: "/teams/{id}",
    ability: "read",
    handler: (ctx) => {
      const team = ctx.core.store.teams.find((t) => String(t.id) === ctx.params.id && t.id === ctx.teamId);
      return team ? json(200, clone(team)) : message(404, "Team not found.");
    },
  },

  // ------------------------------------------------------------------ servers and destinations
  ...serverRoutes,

  // ------------------------------------------------------------------ projects
  {
    method: "GET",
    template: "/projects",
    ability: "read",
    handler: (ctx) =>
      json(200, ctx.core.store.projects.filter((p) => p.team_id === ctx.teamId).map(projectSummary)),
  },
  {
    method: "POST",
    template: "/projects",
    ability: "write",
    bodyCheck: true,
    handler: nameBody(true, (ctx) => {
      const ts = ctx.core.stamp();
      const project: Project = {
        id: ctx.core.store.nextId("projects"),
        uuid: newUuid(),
        name: String(ctx.body.name),
        // notes 4.3 / P31: a description never sent is stored as "".
        description: (ctx.body.description as string | null | undefined) ?? "",
        team_id: ctx.teamId,
        created_at: ts,
        updated_at: ts,
      };
      ctx.core.store.projects.push(project);
      createEnvironment(ctx, project, "production");
      return json(201, { uuid: project.uuid });
    }),
  },
  {
    method: "GET",
    template: "/projects/{uuid}",
    ability: "read",
    handler: inProject((ctx, p) =>
      json(200, {
        ...clone(p),
        environments: ctx.core.store.environments.filter((e) => e.project_id === p.id).map(envSummary),
      }),
    ),
  },
  {
    method: "PATCH",
    template: "/projects/{uuid}",
    ability: "write",
    bodyCheck: true,
    handler: nameBody(
      false,
      inProject((ctx, p) => {
        if (ctx.body.name !== undefined && ctx.body.name !== null) p.name = String(ctx.body.name);
        if (Object.hasOwn(ctx.body, "description"))
          p.description = (ctx.body.description as string | null) ?? "";
        p.updated_at = ctx.core.stamp();
        // notes 4.3: 201 (sic) on PATCH.
        return json(201, { uuid: p.uuid, name: p.name, description: p.description });
      }),
    ),
  },
  {
    method: "DELETE",
    template: "/projects/{uuid}",
    ability: "write",
    handler: inProject((ctx, p) => {
      const envs = ctx.core.store.environments.filter((e) => e.project_id === p.id);
      if (envs.some((e) => envHasResources(ctx, e)))
        return message(400, "Project has resources, so it cannot be deleted.");
      ctx.core.store.environments = ctx.core.store.environments.filter((e) => e.project_id !== p.id);
      ctx.core.store.projects = ctx.core.store.projects.filter((x) => x !== p);
      return message(200, "Project deleted.");
    }),
  },

  // ------------------------------------------------------------------ environments
  {
    method: "GET",
    template: "/projects/{uuid}/environments",
    ability: "read",
    handler: inProject((ctx, p) =>
      json(
        200,
        ctx.core.store.environments
          .filter((e) => e.project_id === p.id)
          .map((e) => ({ id: e.id, name: e.name, uuid: e.uuid })),
      ),
    ),
  },
  {
    method: "POST",
    template: "/projects/{uuid}/environments",
    ability: "write",
    bodyCheck: true,
    handler: validated(
      (ctx) => ({
        ...nameErrors({ name: ctx.body.name }, true),
        ...unknownFields(ctx.body, new Set(["name"])),
      }),
      inProject((ctx, p) => {
        const raw = String(ctx.body.name);
        // notes section 3: the duplicate check compares the raw request name.
        if (ctx.core.store.environments.some((e) => e.project_id === p.id && e.name === raw))
          return message(409, "Environment with this name already exists.");
        const env = createEnvironment(ctx, p, raw);
        return json(201, { uuid: env.uuid });
      }),
    ),
  },
  {
    method: "PATCH",
    template: "/projects/{uuid}/environments/{environment_name_or_uuid}",
    ability: "write",
    bodyCheck: true,
    handler: nameBody(
      false,
      inEnvironment((ctx, p, env) => {
        if (typeof ctx.body.name === "string") {
          const raw = ctx.body.name;
          if (ctx.core.store.environments.some((e) => e.project_id === p.id && e !== env && e.name === raw))
            return message(409, "Environment with this name already exists.");
          env.name = normaliseEnvName(raw);
        }
        if (Object.hasOwn(ctx.body, "description"))
          env.description = (ctx.body.description as string | null) ?? null;
        env.updated_at = ctx.core.stamp();
        return json(200, { uuid: env.uuid, name: env.name, description: env.description });
      }),
    ),
  },
  {
    method: "DELETE",
    template: "/projects/{uuid}/environments/{environment_name_or_uuid}",
    ability: "write",
    handler: inEnvironment((ctx, _p, env) => {
      if (envHasResources(ctx, env))
        return message(400, "Environment has resources, so it cannot be deleted.");
      ctx.core.store.environments = ctx.core.store.environments.filter((e) => e !== env);
      return message(200, "Environment deleted.");
    }),
  },
  {
    method: "GET",
    template: "/projects/{uuid}/{environment_name_or_uuid}",
    ability: "read",
    handler: inEnvironment((ctx, _p, env) => {
      const s = ctx.core.store;
      return json(200, {
        ...envSummary(env),
        applications: s.applications
          .filter((a) => a.environment_id === env.id)
          .map((a) => ctx.core.appView(a, ctx.sensitive, false)),
        postgresqls: s.databases
          .filter((d) => d.environment_id === env.id)
          .map((d) => ctx.core.dbView(d, ctx.sensitive, false)),
        redis: [],
        mongodbs: [],
        mysqls: [],
        mariadbs: [],
        services: [],
      });
    }),
  },
];
