// What a request may set on an application and where it lands: the field lists of create and PATCH,
// the settings defaults, and the checks and copying both share (notes 4.5.1-4.5.3).
import { clone } from "./core";
import { has, type Reply, validationFailed, validationFailedStrings } from "./http";
import type { Application, Row } from "./state";

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

export const DEFAULT_SETTINGS: Row = {
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
export const CREATE_ALLOWED = new Set([
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
export const PATCH_ALLOWED = new Set([
  ...[...CREATE_ALLOWED].filter((f) => !PATCH_FORBIDDEN.has(f)),
  "dockerfile_target_build",
]);

export const BUILD_PACKS = ["nixpacks", "railpack", "static", "dockerfile", "dockercompose"];

export function isBase64(s: string): boolean {
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(s) || s.replace(/[\r\n]/g, "").length % 4 !== 0) return false;
  try {
    const text = Buffer.from(s, "base64").toString("utf8");
    return !text.includes("\uFFFD");
  } catch {
    return false;
  }
}

export function decodeBase64(s: string): string {
  return Buffer.from(s, "base64").toString("utf8");
}

/** Shared checks of create and PATCH bodies: base64 fields and ports (422 shape (b)). */
export function fieldChecks(b: Row, forPatch: boolean): Reply | null {
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

/** Copies the columns and settings a body names onto the application. */
export function applyFields(app: Application, b: Row): void {
  for (const f of COLUMN_FIELDS) {
    if (!has(b, f)) continue;
    app[f] = clone(b[f]);
  }
  for (const [req, col] of Object.entries(SETTINGS_FIELDS)) {
    if (has(b, req)) app.settings[col] = clone(b[req]);
  }
}
