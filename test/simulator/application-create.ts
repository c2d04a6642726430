// POST /applications/{public,private-github-app,private-deploy-key,dockerfile,dockerimage}: the
// variant's checks, the stored row and what Coolify derives on create (notes 4.5.1, section 5,
// P8, P29, P31, P34).

import { composeDomainsRefused, isReply, resolveDomains } from "./application-domains";
import { createEnv } from "./application-envs";
import {
  applyFields,
  BUILD_PACKS,
  CREATE_ALLOWED,
  DEFAULT_SETTINGS,
  decodeBase64,
  fieldChecks,
  isBase64,
} from "./application-fields";
import { regenerateReadonlyLabels } from "./container-labels";
import {
  bool,
  type Ctx,
  has,
  json,
  mergeErrors,
  message,
  type Reply,
  unknownFields,
  validationFailed,
  validationFailedStrings,
} from "./http";
import { type Placement, resolvePlacement } from "./placement";
import type { Application } from "./state";
import { newUuid } from "./state";

/** The default name of a public application is its repository and branch in kebab case. */
function kebab(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
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

export const createApplication =
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
      if (buildPack === "dockercompose") return composeDomainsRefused();
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
