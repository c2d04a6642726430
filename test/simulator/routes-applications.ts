// Applications and application environment variables (notes 4.5, 4.6, section 5, pitfalls P1-P12, P29-P34).
import { LABEL_REGENERATING_FIELDS, regenerateReadonlyLabels } from "./container-labels";
import { clone } from "./core";
import { conflictBody, findConflicts, parseDomains } from "./domains";
import {
  bool,
  type Ctx,
  has,
  json,
  mergeErrors,
  message,
  onItem,
  postOnly,
  queryBool,
  type Reply,
  type Route,
  unknownFields,
  validationFailed,
  validationFailedList,
  validationFailedStrings,
} from "./http";
import { findEnvironment, findProject, findServer } from "./routes-projects";
import type { Application, Destination, Environment, EnvVar, Project, Row, Server } from "./state";
import { newUuid } from "./state";

// ---------------------------------------------------------------------------- field lists

/** Fields stored under `settings` (only visible on single GET, notes 4.5.2). Request name -> column. */
const SETTINGS_FIELDS: Record<string, string> = {
  is_static: "is_static",
  is_spa: "is_spa",
  is_auto_deploy_enabled: "is_auto_deploy_enabled",
  is_force_https_enabled: "is_force_https_enabled",
  is_preview_deployments_enabled: "is_preview_deployments_enabled",
  connect_to_docker_network: "connect_to_docker_network",
  use_build_server: "is_build_server_enabled",
  use_build_secrets: "use_build_secrets",
  is_container_label_escape_enabled: "is_container_label_escape_enabled",
  is_preserve_repository_enabled: "is_preserve_repository_enabled",
  is_git_submodules_enabled: "is_git_submodules_enabled",
  is_git_lfs_enabled: "is_git_lfs_enabled",
  is_git_shallow_clone_enabled: "is_git_shallow_clone_enabled",
  disable_build_cache: "disable_build_cache",
  inject_build_args_to_dockerfile: "inject_build_args_to_dockerfile",
  include_source_commit_in_build: "include_source_commit_in_build",
  is_env_sorting_enabled: "is_env_sorting_enabled",
  is_pr_deployments_public_enabled: "is_pr_deployments_public_enabled",
  stop_grace_period: "stop_grace_period",
  docker_images_to_keep: "docker_images_to_keep",
  is_gzip_enabled: "is_gzip_enabled",
  is_stripprefix_enabled: "is_stripprefix_enabled",
  is_raw_compose_deployment_enabled: "is_raw_compose_deployment_enabled",
  is_log_drain_enabled: "is_log_drain_enabled",
  is_gpu_enabled: "is_gpu_enabled",
  gpu_driver: "gpu_driver",
  gpu_count: "gpu_count",
  gpu_device_ids: "gpu_device_ids",
  gpu_options: "gpu_options",
  is_consistent_container_name_enabled: "is_consistent_container_name_enabled",
  custom_internal_name: "custom_internal_name",
};

const DEFAULT_SETTINGS: Row = {
  is_static: false,
  is_spa: false,
  is_auto_deploy_enabled: true,
  is_force_https_enabled: true,
  is_preview_deployments_enabled: false,
  connect_to_docker_network: false,
  is_build_server_enabled: false,
  use_build_secrets: false,
  is_container_label_escape_enabled: true,
  is_container_label_readonly_enabled: true,
  is_preserve_repository_enabled: false,
  is_git_submodules_enabled: true,
  is_git_lfs_enabled: true,
  is_git_shallow_clone_enabled: true,
  disable_build_cache: false,
  inject_build_args_to_dockerfile: true,
  include_source_commit_in_build: false,
  is_env_sorting_enabled: false,
  is_pr_deployments_public_enabled: false,
  stop_grace_period: null,
  docker_images_to_keep: 2,
  is_gzip_enabled: true,
  is_stripprefix_enabled: true,
  is_raw_compose_deployment_enabled: false,
  is_log_drain_enabled: false,
  is_gpu_enabled: false,
  gpu_driver: "nvidia",
  gpu_count: null,
  gpu_device_ids: null,
  gpu_options: null,
  is_consistent_container_name_enabled: false,
  custom_internal_name: null,
  is_debug_enabled: false,
  is_swarm_only_worker_nodes: false,
};

/** Container resource limits: the same columns on applications and databases. */
export const LIMIT_FIELDS = [
  "limits_memory",
  "limits_memory_swap",
  "limits_memory_swappiness",
  "limits_memory_reservation",
  "limits_cpus",
  "limits_cpuset",
  "limits_cpu_shares",
];

/** Top-level columns a request may set directly (request name = column name). */
const COLUMN_FIELDS = [
  "name",
  "description",
  "noindex_domains",
  "ports_exposes",
  "ports_mappings",
  "git_repository",
  "git_branch",
  "git_commit_sha",
  "build_pack",
  "docker_registry_image_name",
  "docker_registry_image_tag",
  "static_image",
  "install_command",
  "build_command",
  "start_command",
  "base_directory",
  "publish_directory",
  "dockerfile_location",
  "dockerfile_target_build",
  "docker_compose_location",
  "docker_compose_custom_start_command",
  "docker_compose_custom_build_command",
  "watch_paths",
  "health_check_enabled",
  "health_check_type",
  "health_check_command",
  "health_check_path",
  "health_check_port",
  "health_check_host",
  "health_check_method",
  "health_check_return_code",
  "health_check_scheme",
  "health_check_response_text",
  "health_check_interval",
  "health_check_timeout",
  "health_check_retries",
  "health_check_start_period",
  ...LIMIT_FIELDS,
  "custom_labels",
  "custom_docker_run_options",
  "pre_deployment_command",
  "pre_deployment_command_container",
  "post_deployment_command",
  "post_deployment_command_container",
  "manual_webhook_secret_github",
  "manual_webhook_secret_gitlab",
  "manual_webhook_secret_bitbucket",
  "manual_webhook_secret_gitea",
  "redirect",
  "custom_nginx_configuration",
  "is_http_basic_auth_enabled",
  "http_basic_auth_username",
  "http_basic_auth_password",
  "preview_url_template",
  "max_restart_count",
  "dockerfile",
  "docker_compose_raw",
];

/** Request-only fields handled specially. */
const CONTROL_FIELDS = [
  "project_uuid",
  "server_uuid",
  "environment_name",
  "environment_uuid",
  "destination_uuid",
  "domains",
  "autogenerate_domain",
  "force_domain_override",
  "instant_deploy",
  "docker_compose_domains",
  "tags",
  "github_app_uuid",
  "private_key_uuid",
];

/** One allowed list shared by every create variant (the controller's $allowedFields). */
const CREATE_ALLOWED = new Set([
  ...COLUMN_FIELDS.filter((f) => f !== "dockerfile_target_build"),
  ...CONTROL_FIELDS,
  ...Object.keys(SETTINGS_FIELDS),
]);

/** PATCH: the create list minus create-only keys, plus dockerfile_target_build (notes 4.5.3, 1.2). */
const PATCH_FORBIDDEN = new Set([
  "project_uuid",
  "environment_name",
  "environment_uuid",
  "server_uuid",
  "destination_uuid",
  "type",
  "github_app_uuid",
  "private_key_uuid",
  "dockerfile",
  "docker_compose_raw",
  "autogenerate_domain",
  "tags",
]);
const PATCH_ALLOWED = new Set([
  ...[...CREATE_ALLOWED].filter((f) => !PATCH_FORBIDDEN.has(f)),
  "dockerfile_target_build",
]);

const BUILD_PACKS = ["nixpacks", "railpack", "static", "dockerfile", "dockercompose"];

// ---------------------------------------------------------------------------- helpers

function isBase64(s: string): boolean {
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(s) || s.replace(/[\r\n]/g, "").length % 4 !== 0) return false;
  try {
    const text = Buffer.from(s, "base64").toString("utf8");
    return !text.includes("\uFFFD");
  } catch {
    return false;
  }
}

function decodeBase64(s: string): string {
  return Buffer.from(s, "base64").toString("utf8");
}

export function findApp(ctx: Ctx, uuid: string | undefined): Application | undefined {
  return ctx.core.store.teamApplications(ctx.teamId).find((a) => a.uuid === uuid);
}

/**
 * Routes on the application in the path: 404 unless the team has it. Coolify's 404 message ends in
 * a full stop on GET, start, stop, restart and the deployments list (onAppPeriod), not elsewhere.
 */
const onApp = onItem(findApp, "Application not found");
export const onAppPeriod = onItem(findApp, "Application not found.");

interface Placement {
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

function isReply(x: unknown): x is Reply {
  return typeof x === "object" && x !== null && "status" in x && typeof (x as Reply).status === "number";
}

function kebab(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Shared checks of create and PATCH bodies: base64 fields and ports (422 shape (b)). */
function fieldChecks(b: Row, forPatch: boolean): Reply | null {
  for (const f of ["custom_nginx_configuration", "custom_labels"]) {
    const v = b[f];
    if (typeof v === "string" && !isBase64(v))
      return validationFailedStrings({ [f]: `The ${f} should be base64 encoded.` });
  }
  const pe = b.ports_exposes;
  if (typeof pe === "string" && !/^\d+(,\d+)*$/.test(pe.replace(/\s/g, ""))) {
    if (forPatch)
      return validationFailedStrings({
        ports_exposes: "The ports_exposes should be a comma separated list of numbers.",
      });
    return validationFailed({ ports_exposes: ["The ports exposes field format is invalid."] });
  }
  const pm = b.ports_mappings;
  if (typeof pm === "string") {
    const hosts = pm
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)
      .map((x) => x.split(":")[0]);
    if (new Set(hosts).size !== hosts.length)
      return validationFailedStrings({
        ports_mappings: "The first number before : should be unique between mappings.",
      });
  }
  return null;
}

function applyFields(app: Application, b: Row): void {
  for (const f of COLUMN_FIELDS) {
    if (!has(b, f)) continue;
    app[f] = clone(b[f]);
  }
  for (const [req, col] of Object.entries(SETTINGS_FIELDS)) {
    if (has(b, req)) app.settings[col] = clone(b[req]);
  }
}

function newApplication(ctx: Ctx, p: Placement): Application {
  const ts = ctx.core.stamp();
  const id = ctx.core.store.nextId("applications");
  return {
    id,
    uuid: newUuid(),
    name: "",
    description: null,
    fqdn: null,
    status: "exited",
    environment_id: p.environment.id,
    destination_id: p.destination.id,
    destination_type: "App\\Models\\StandaloneDocker",
    source_id: null,
    source_type: null,
    repository_project_id: null,
    private_key_id: null,
    build_pack: "nixpacks",
    git_repository: "coollabsio/coolify",
    git_branch: "main",
    git_commit_sha: "HEAD",
    git_full_url: null,
    docker_registry_image_name: null,
    docker_registry_image_tag: null,
    static_image: "nginx:alpine",
    ports_exposes: null,
    ports_mappings: null,
    base_directory: "/",
    publish_directory: null,
    install_command: null,
    build_command: null,
    start_command: null,
    dockerfile: null,
    dockerfile_location: "/Dockerfile",
    dockerfile_target_build: null,
    docker_compose: null,
    docker_compose_raw: null,
    docker_compose_location: "/docker-compose.yaml",
    docker_compose_custom_start_command: null,
    docker_compose_custom_build_command: null,
    docker_compose_domains: null,
    watch_paths: null,
    health_check_enabled: false,
    health_check_type: "http",
    health_check_command: null,
    health_check_path: "/",
    health_check_port: null,
    health_check_host: "localhost",
    health_check_method: "GET",
    health_check_return_code: 200,
    health_check_scheme: "http",
    health_check_response_text: null,
    health_check_interval: 5,
    health_check_timeout: 5,
    health_check_retries: 10,
    health_check_start_period: 5,
    limits_memory: "0",
    limits_memory_swap: "0",
    limits_memory_swappiness: 60,
    limits_memory_reservation: "0",
    limits_cpus: "0",
    limits_cpuset: null,
    limits_cpu_shares: 1024,
    custom_labels: null,
    custom_docker_run_options: null,
    custom_nginx_configuration: null,
    pre_deployment_command: null,
    pre_deployment_command_container: null,
    post_deployment_command: null,
    post_deployment_command_container: null,
    manual_webhook_secret_github: null,
    manual_webhook_secret_gitlab: null,
    manual_webhook_secret_bitbucket: null,
    manual_webhook_secret_gitea: null,
    redirect: "both",
    is_http_basic_auth_enabled: false,
    http_basic_auth_username: null,
    http_basic_auth_password: null,
    preview_url_template: "{{pr_id}}.{{domain}}",
    max_restart_count: 10,
    noindex_domains: [],
    config_hash: null,
    last_online_at: null,
    restart_count: 0,
    last_restart_at: null,
    last_restart_type: null,
    compose_parsing_version: "5",
    settings: { ...DEFAULT_SETTINGS },
    tags: [],
    created_at: ts,
    updated_at: ts,
    deleted_at: null,
    _deleting: false,
  };
}

type Variant = "public" | "private-github-app" | "private-deploy-key" | "dockerfile" | "dockerimage";

/** Variant validator (notes 4.5.1). Returns a reply on failure. */
function variantChecks(ctx: Ctx, variant: Variant): Reply | null {
  const b = ctx.body;
  const errors: Record<string, string[]> = {};
  const req = (f: string) => {
    if (b[f] === undefined || b[f] === null) errors[f] = ["This field is required."];
  };
  if (variant === "public" || variant === "private-github-app" || variant === "private-deploy-key") {
    req("git_repository");
    req("git_branch");
    req("build_pack");
    if (variant === "private-github-app") req("github_app_uuid");
    if (variant === "private-deploy-key") req("private_key_uuid");
    if (typeof b.build_pack === "string" && !BUILD_PACKS.includes(b.build_pack))
      errors.build_pack = ["The selected build pack is invalid."];
    const repo = b.git_repository;
    if (
      typeof repo === "string" &&
      (/[\s;&|`$<>]/.test(repo) || !/^(https?:\/\/|git@|[\w.-]+\/[\w.-]+)/.test(repo))
    )
      errors.git_repository = ["The git repository field format is invalid."];
  } else if (variant === "dockerfile") {
    req("dockerfile");
  } else {
    req("docker_registry_image_name");
    const img = b.docker_registry_image_name;
    if (typeof img === "string" && /:sha256:/.test(img) && !img.includes("@sha256:"))
      errors.docker_registry_image_name = ["The docker registry image name field format is invalid."];
  }
  if (Object.keys(errors).length) return validationFailed(errors);
  if (variant === "dockerfile" && typeof b.dockerfile === "string" && !isBase64(b.dockerfile))
    return validationFailedStrings({ dockerfile: "The dockerfile should be base64 encoded." });
  return null;
}

/** Validate, normalise and conflict-check `domains`. Returns the fqdn string, null to clear, or a reply. */
function resolveDomains(ctx: Ctx, raw: unknown, excludeUuid?: string): string | null | Reply {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== "string") return validationFailed({ domains: ["The domains field must be a string."] });
  const { urls, errors } = parseDomains(raw);
  if (errors.length) return validationFailedList(errors);
  if (urls.length === 0) return null;
  if (!bool(ctx.body.force_domain_override, false)) {
    const conflicts = findConflicts(ctx.core.store, ctx.teamId, urls, excludeUuid);
    if (conflicts.length) return json(409, conflictBody(conflicts));
  }
  return urls.join(",");
}

// ---------------------------------------------------------------------------- create

const createApplication =
  (variant: Variant) =>
  (ctx: Ctx): Reply => {
    const b = ctx.body;
    const base: Record<string, string[]> = {};
    for (const f of ["project_uuid", "server_uuid"])
      if (b[f] === undefined || b[f] === null) base[f] = ["This field is required."];
    const errors = mergeErrors(ctx.schemaErrors, base, unknownFields(b, CREATE_ALLOWED));
    if (errors) return validationFailed(errors);
    if (b.tags !== undefined && b.tags !== null) {
      if (!Array.isArray(b.tags)) return validationFailed({ tags: ["The tags field must be an array."] });
      for (const t of b.tags)
        if (typeof t !== "string" || t.length < 2)
          return validationFailed({ tags: ["Each tag must be a string of at least 2 characters."] });
    }
    const placement = resolvePlacement(ctx, "application");
    if (isReply(placement)) return placement;
    const vErr = variantChecks(ctx, variant);
    if (vErr) return vErr;
    const fErr = fieldChecks(b, false);
    if (fErr) return fErr;

    const buildPack =
      variant === "dockerfile"
        ? "dockerfile"
        : variant === "dockerimage"
          ? "dockerimage"
          : String(b.build_pack);
    let fqdn: string | null = null;
    if (has(b, "domains") && b.domains !== null) {
      if (buildPack === "dockercompose")
        return validationFailed({
          domains: [
            "The domains field cannot be used for dockercompose applications. Use docker_compose_domains instead.",
          ],
        });
      const d = resolveDomains(ctx, b.domains);
      if (isReply(d)) return d;
      fqdn = d;
    }

    if (variant === "private-github-app") return message(404, "Github App not found.");
    if (variant === "private-deploy-key") return message(404, "Private Key not found.");

    const app = newApplication(ctx, placement);
    applyFields(app, b);
    app.build_pack = buildPack;
    app.fqdn = fqdn;
    app.tags = Array.isArray(b.tags) ? (b.tags as string[]).map((t) => t.toLowerCase()) : [];
    if (variant === "public") {
      const repo = String(b.git_repository);
      // P31: github.com repositories are stored as owner/repo.
      const gh = /^https?:\/\/(?:www\.)?github\.com\/([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(repo);
      app.git_repository = gh ? gh[1] : repo;
      app.source_type = gh ? "App\\Models\\GithubApp" : null;
      app.source_id = gh ? 0 : null;
      if (!has(b, "name") || b.name === null)
        app.name = `${kebab(`${String(app.git_repository)}:${String(b.git_branch)}`)}-${app.uuid}`;
    } else if (variant === "dockerfile") {
      app.git_repository = "coollabsio/coolify";
      app.git_branch = "main";
      // P34: the EXPOSE scan runs on the still-base64 text, so ports_exposes is always 80.
      app.ports_exposes = "80";
      app.dockerfile = decodeBase64(String(b.dockerfile));
      if (!has(b, "name") || b.name === null) app.name = `dockerfile-${app.uuid}`;
    } else {
      // P31: the image string is split into name and tag; the tag defaults to latest.
      let image = String(b.docker_registry_image_name);
      let tag: string | null = null;
      if (image.includes("@sha256:")) {
        const [n, digest] = image.split("@sha256:");
        image = `${n}@sha256`;
        tag = digest ?? null;
      } else {
        const slash = image.lastIndexOf("/");
        const colon = image.lastIndexOf(":");
        if (colon > slash) {
          tag = image.slice(colon + 1);
          image = image.slice(0, colon);
        }
      }
      app.docker_registry_image_name = image;
      app.docker_registry_image_tag =
        (b.docker_registry_image_tag as string | null | undefined) ?? tag ?? "latest";
      app.git_repository = "coollabsio/coolify";
      app.git_branch = "main";
      if (!has(b, "name") || b.name === null) app.name = `docker-image-${app.uuid}`;
    }
    if (buildPack === "dockercompose") app.ports_exposes = "80";
    if (app.ports_exposes === undefined) app.ports_exposes = null;
    if (typeof b.custom_labels === "string") app.custom_labels = b.custom_labels;
    const destination = ctx.core.store.destinations.find((d) => d.id === app.destination_id);

    // autogenerate_domain defaults to true (notes section 5, P8).
    if (!fqdn && bool(b.autogenerate_domain, true) && buildPack !== "dockercompose") {
      const wildcard = placement.server.settings.wildcard_domain as string | null;
      if (wildcard) {
        const u = new URL(wildcard);
        app.fqdn = `${u.protocol}//${app.uuid}.${u.host}`;
      } else {
        app.fqdn = `http://${app.uuid}.${placement.server.ip}.sslip.io`;
      }
    }
    // Readonly labels (the default) replace any custom_labels sent on create.
    regenerateReadonlyLabels(app, destination, placement.server, "create");
    ctx.core.store.applications.push(app);
    if (buildPack === "nixpacks") createEnv(ctx, app, { key: "NIXPACKS_NODE_VERSION", value: "22" }, false);

    if (bool(b.instant_deploy, false)) {
      const r = ctx.core.queueDeployment(app, { force: false, restartOnly: false, isApi: true });
      // P29: a duplicate deployment makes create answer 200 without uuid (the app exists).
      if (r.skipped) return message(200, "Deployment already queued for this commit.");
    }
    return json(201, { uuid: app.uuid, domains: app.fqdn });
  };

// ---------------------------------------------------------------------------- envs

/** The boolean fields of an environment variable body. */
const ENV_FLAGS = ["is_preview", "is_literal", "is_multiline", "is_shown_once", "is_runtime", "is_buildtime"];
const ENV_ALLOWED = new Set(["key", "value", ...ENV_FLAGS, "comment"]);
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function envFieldErrors(b: Row, keyRequired: boolean): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  if (b.key === undefined || b.key === null) {
    if (keyRequired) errors.key = ["This field is required."];
  } else if (typeof b.key !== "string") errors.key = ["The key field must be a string."];
  else {
    const k = b.key.trim();
    if (k.length > 255) errors.key = ["The key field must not be greater than 255 characters."];
    else if (!KEY_RE.test(k))
      errors.key = [
        "The key must start with a letter or underscore and may only contain letters, numbers, underscores and dots.",
      ];
  }
  if (b.value !== undefined && b.value !== null && typeof b.value !== "string")
    errors.value = ["The value field must be a string."];
  for (const f of ENV_FLAGS) {
    const v = b[f];
    if (v !== undefined && v !== null && ![true, false, 0, 1, "0", "1"].includes(v as never))
      errors[f] = [`The ${f.replace(/_/g, " ")} field must be true or false.`];
  }
  if (b.comment !== undefined && b.comment !== null) {
    if (typeof b.comment !== "string") errors.comment = ["The comment field must be a string."];
    else if (b.comment.length > 256)
      errors.comment = ["The comment field must not be greater than 256 characters."];
  }
  return errors;
}

function appEnvs(ctx: Ctx, app: Application): EnvVar[] {
  return ctx.core.store.envs.filter(
    (e) => e.resourceable_type === "application" && e.resourceable_id === app.id,
  );
}

/** 422 for a one-variable body with bad or unknown fields (POST and PATCH), or null. */
function envBodyInvalid(b: Row): Reply | null {
  const errors = mergeErrors(envFieldErrors(b, true), unknownFields(b, ENV_ALLOWED));
  return errors ? validationFailed(errors) : null;
}

/** The app's variable a body names: by trimmed key and is_preview, never by uuid (P4). */
function envNamedBy(ctx: Ctx, app: Application, b: Row): EnvVar | undefined {
  const key = String(b.key).trim();
  const isPreview = bool(b.is_preview, false);
  return appEnvs(ctx, app).find((e) => e.key === key && e.is_preview === isPreview);
}

const trimValue = (v: unknown): string | null =>
  typeof v === "string" ? v.trim() : v === undefined ? null : (v as null);

function createEnv(ctx: Ctx, app: Application, b: Row, isPreview: boolean): EnvVar {
  const ts = ctx.core.stamp();
  const env: EnvVar = {
    id: ctx.core.store.nextId("envs"),
    uuid: newUuid(),
    key: String(b.key).trim(),
    value: trimValue(b.value),
    is_preview: isPreview,
    is_literal: bool(b.is_literal, false),
    is_multiline: bool(b.is_multiline, false),
    is_shown_once: bool(b.is_shown_once, false),
    is_runtime: bool(b.is_runtime, true),
    is_buildtime: bool(b.is_buildtime, true),
    is_shared: false,
    is_required: false,
    is_really_required: false,
    is_buildpack_control: false,
    is_coolify: false,
    comment: (b.comment as string | null | undefined) ?? null,
    version: ctx.core.opts.version,
    order: null,
    resourceable_type: "application",
    resourceable_id: app.id,
    created_at: ts,
    updated_at: ts,
  };
  ctx.core.store.envs.push(env);
  // P5: the model's `created` hook adds a preview twin for a production variable.
  if (!isPreview && !appEnvs(ctx, app).some((e) => e.is_preview && e.key === env.key)) {
    createEnv(
      ctx,
      app,
      {
        key: env.key,
        value: env.value,
        is_literal: env.is_literal,
        is_multiline: env.is_multiline,
        is_shown_once: env.is_shown_once,
        is_runtime: env.is_runtime,
        is_buildtime: env.is_buildtime,
      },
      true,
    );
  }
  return env;
}

/** P2/P3 overwrite rules shared by PATCH and bulk (notes 4.6). */
function overwriteEnv(ctx: Ctx, env: EnvVar, b: Row): void {
  env.value = trimValue(b.value); // P2: omitted value becomes null
  env.is_literal = bool(b.is_literal, false); // P3: omitted is_literal resets to false
  env.is_multiline =
    b.is_multiline === undefined || b.is_multiline === null ? null : bool(b.is_multiline, false);
  env.is_shown_once =
    b.is_shown_once === undefined || b.is_shown_once === null ? null : bool(b.is_shown_once, false);
  if (has(b, "is_runtime")) env.is_runtime = bool(b.is_runtime, true);
  if (has(b, "is_buildtime")) env.is_buildtime = bool(b.is_buildtime, true);
  if (has(b, "comment")) env.comment = (b.comment as string | null) ?? null;
  env.updated_at = ctx.core.stamp();
}

// ---------------------------------------------------------------------------- actions

function queueFull(ctx: Ctx, app: Application): boolean {
  const server = ctx.core.store.serverOfDestination(app.destination_id);
  const limit = Number(server?.settings.deployment_queue_limit ?? 25);
  return (
    ctx.core.store.deployments.filter((d) => d.server_id === server?.id && d.status === "queued").length >=
    limit
  );
}

const startApp = onAppPeriod((ctx, app) => {
  const force = queryBool(ctx.query, "force", false) || bool(ctx.body.force, false);
  // P30: a full queue is not reported; the uuid returned never exists.
  if (queueFull(ctx, app))
    return json(200, { message: "Deployment request queued.", deployment_uuid: newUuid() });
  const r = ctx.core.queueDeployment(app, { force, restartOnly: false, isApi: true });
  if (r.skipped) return message(200, "Deployment already queued for this commit.");
  return json(200, { message: "Deployment request queued.", deployment_uuid: r.deployment?.deployment_uuid });
});

// ---------------------------------------------------------------------------- routes

export const applicationRoutes: Route[] = [
  {
    method: "GET",
    template: "/applications",
    ability: "read",
    handler: (ctx) => {
      const tag = ctx.query.get("tag");
      const apps = ctx.core.store
        .teamApplications(ctx.teamId)
        .filter((a) => !tag || a.tags.includes(tag.toLowerCase()))
        .sort((a, b) => a.name.localeCompare(b.name));
      return json(
        200,
        apps.map((a) => ctx.core.appView(a, ctx.sensitive, false)),
      );
    },
  },
  {
    method: "POST",
    template: "/applications/public",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("public"),
  },
  {
    method: "POST",
    template: "/applications/private-github-app",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("private-github-app"),
  },
  {
    method: "POST",
    template: "/applications/private-deploy-key",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("private-deploy-key"),
  },
  {
    method: "POST",
    template: "/applications/dockerfile",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("dockerfile"),
  },
  {
    method: "POST",
    template: "/applications/dockerimage",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("dockerimage"),
  },
  {
    method: "GET",
    template: "/applications/{uuid}",
    ability: "read",
    handler: onAppPeriod((ctx, app) => json(200, ctx.core.appView(app, ctx.sensitive, true))),
  },
  {
    method: "PATCH",
    template: "/applications/{uuid}",
    ability: "write",
    bodyCheck: true,
    handler: onApp((ctx, app) => {
      const b = ctx.body;
      const errors = mergeErrors(ctx.schemaErrors, unknownFields(b, PATCH_ALLOWED));
      if (errors) return validationFailed(errors);
      const fErr = fieldChecks(b, true);
      if (fErr) return fErr;
      if (
        b.build_pack === "dockerimage" ||
        (typeof b.build_pack === "string" && !BUILD_PACKS.includes(b.build_pack))
      )
        return validationFailed({ build_pack: ["The selected build pack is invalid."] });
      const basicAuth = bool(b.is_http_basic_auth_enabled, Boolean(app.is_http_basic_auth_enabled));
      if (basicAuth) {
        const user = has(b, "http_basic_auth_username")
          ? b.http_basic_auth_username
          : app.http_basic_auth_username;
        const pass = has(b, "http_basic_auth_password")
          ? b.http_basic_auth_password
          : app.http_basic_auth_password;
        if (!user || !pass)
          return validationFailedStrings({
            http_basic_auth_username: "Username and password are required when HTTP basic auth is enabled.",
          });
      }
      let fqdn: string | null | undefined;
      const server = ctx.core.store.serverOfDestination(app.destination_id);
      // P9: domains are ignored silently on proxy NONE and on build servers.
      const domainsHonoured = server && server.proxy.type !== "NONE" && !server.settings.is_build_server;
      if (has(b, "domains") && domainsHonoured) {
        if (app.build_pack === "dockercompose")
          return validationFailed({
            domains: [
              "The domains field cannot be used for dockercompose applications. Use docker_compose_domains instead.",
            ],
          });
        const d = resolveDomains(ctx, b.domains, app.uuid);
        if (isReply(d)) return d;
        fqdn = d; // P7: "" arrives as null and clears the fqdn
      }
      applyFields(app, b);
      if (fqdn !== undefined) app.fqdn = fqdn;
      if (LABEL_REGENERATING_FIELDS.some((f) => has(b, f))) {
        const destination = ctx.core.store.destinations.find((d) => d.id === app.destination_id);
        regenerateReadonlyLabels(app, destination, server, "patch");
      }
      if (has(b, "build_pack") && b.build_pack !== "dockerfile" && app.build_pack === "dockerfile") {
        app.dockerfile = null;
        app.dockerfile_location = null;
        app.dockerfile_target_build = null;
      }
      if (has(b, "build_pack")) app.build_pack = String(b.build_pack);
      app.updated_at = ctx.core.stamp();
      if (bool(b.instant_deploy, false)) {
        const r = ctx.core.queueDeployment(app, { force: false, restartOnly: false, isApi: true });
        if (r.skipped) return message(200, "Deployment already queued for this commit.");
      }
      return json(200, { uuid: app.uuid });
    }),
  },
  {
    method: "DELETE",
    template: "/applications/{uuid}",
    ability: "write",
    handler: onApp((ctx, app) => {
      // notes 4.5.4: deletion is a queued job; GET keeps answering until it has run.
      ctx.core.queueDelete("application", app);
      return message(200, "Application deletion request queued.");
    }),
  },
  { method: "POST", template: "/applications/{uuid}/start", ability: "deploy", handler: startApp },
  {
    method: "POST",
    template: "/applications/{uuid}/stop",
    ability: "deploy",
    handler: onAppPeriod((ctx, app) => {
      ctx.core.stopApplication(app);
      return message(200, "Application stopping request queued.");
    }),
  },
  {
    method: "POST",
    template: "/applications/{uuid}/restart",
    ability: "deploy",
    handler: onAppPeriod((ctx, app) => {
      const r = ctx.core.queueDeployment(app, { force: false, restartOnly: true, isApi: true });
      if (r.skipped) return message(200, "Deployment already queued for this commit.");
      return json(200, {
        message: "Restart request queued.",
        deployment_uuid: r.deployment?.deployment_uuid,
      });
    }),
  },
  { method: "GET", template: "/applications/{uuid}/start", ability: null, handler: postOnly },
  { method: "GET", template: "/applications/{uuid}/stop", ability: null, handler: postOnly },
  { method: "GET", template: "/applications/{uuid}/restart", ability: null, handler: postOnly },

  // -------------------------------------------------------------------- envs
  {
    method: "GET",
    template: "/applications/{uuid}/envs",
    ability: "read",
    handler: onApp((ctx, app) => {
      const envs = appEnvs(ctx, app);
      // notes 4.6: all production vars (by id), then all preview vars.
      const ordered = [
        ...envs.filter((e) => !e.is_preview).sort((a, b) => a.id - b.id),
        ...envs.filter((e) => e.is_preview).sort((a, b) => a.id - b.id),
      ];
      return json(
        200,
        ordered.map((e) => ctx.core.envView(e, ctx.sensitive)),
      );
    }),
  },
  {
    method: "POST",
    template: "/applications/{uuid}/envs",
    ability: "write",
    // notes 2.1: this endpoint has no JSON body check; a bad body reaches the validator.
    bodyCheck: false,
    validate: true,
    handler: onApp((ctx, app) => {
      const b = ctx.body;
      // P1: is_build_time is not an allowed field (422 "This field is not allowed.").
      const invalid = envBodyInvalid(b);
      if (invalid) return invalid;
      if (envNamedBy(ctx, app, b))
        return message(409, "Environment variable already exists. Use PATCH request to update it.");
      const env = createEnv(ctx, app, b, bool(b.is_preview, false));
      return json(201, { uuid: env.uuid });
    }),
  },
  {
    method: "PATCH",
    template: "/applications/{uuid}/envs/bulk",
    ability: "write",
    bodyCheck: true,
    validate: false,
    handler: onApp((ctx, app) => {
      const data = ctx.body.data;
      if (!Array.isArray(data) || data.length === 0) return message(400, "Bulk data is required.");
      const out: Row[] = [];
      // Upsert item by item, not atomic: the first invalid item answers 422 after earlier ones were saved.
      for (const rawItem of data) {
        const item: Row = {};
        // Unknown keys (including is_build_time, P1) are dropped silently.
        if (rawItem && typeof rawItem === "object")
          for (const [k, v] of Object.entries(rawItem as Row)) if (ENV_ALLOWED.has(k)) item[k] = v;
        const errors = envFieldErrors(item, true);
        if (Object.keys(errors).length) return validationFailed(errors);
        let env = envNamedBy(ctx, app, item);
        if (env) overwriteEnv(ctx, env, item);
        else env = createEnv(ctx, app, { ...item, value: item.value ?? null }, bool(item.is_preview, false));
        out.push(ctx.core.envView(env, ctx.sensitive));
      }
      return json(201, out);
    }),
  },
  {
    method: "PATCH",
    template: "/applications/{uuid}/envs",
    ability: "write",
    bodyCheck: true,
    handler: onApp((ctx, app) => {
      const b = ctx.body;
      // P4: found by key; env_uuid/uuid in the body is not allowed.
      const invalid = envBodyInvalid(b);
      if (invalid) return invalid;
      const env = envNamedBy(ctx, app, b);
      if (!env) return message(404, "Environment variable not found.");
      overwriteEnv(ctx, env, b);
      // notes 4.6: 201 (sic) with the full env object.
      return json(201, ctx.core.envView(env, ctx.sensitive));
    }),
  },
  {
    method: "DELETE",
    template: "/applications/{uuid}/envs/{env_uuid}",
    ability: "write",
    handler: onApp((ctx, app) => {
      const env = appEnvs(ctx, app).find((e) => e.uuid === ctx.params.env_uuid);
      if (!env) return message(404, "Environment variable not found.");
      // P5: deleting the production variable leaves its preview twin.
      ctx.core.store.envs = ctx.core.store.envs.filter((e) => e !== env);
      return message(200, "Environment variable deleted.");
    }),
  },
];
