/**
 * Coolify's "readonly labels" (application setting is_container_label_readonly_enabled, on by
 * default since 2025-01 and not settable through the API): Coolify writes its own generated
 * proxy labels into custom_labels on create and on a PATCH that sends domains, noindex_domains
 * or HTTP basic auth, replacing whatever custom labels were there (ApplicationsController,
 * 4.3.11). It stores them as plain text there, not base64 (the deploy re-encodes them).
 *
 * The generated set follows bootstrap/helpers/docker.php fqdnLabelsForTraefik and
 * fqdnLabelsForCaddy for the plain case (no basic auth, no www redirect, gzip and strip-prefix
 * on), both proxies' labels as Coolify writes them unless the server asks for exact labels.
 */
import type { Application, Destination, Server } from "./state";

function traefik(uuid: string, domains: string[], port: string | undefined, forceHttps: boolean): string[] {
  const labels = [
    "traefik.enable=true",
    "traefik.http.middlewares.gzip.compress=true",
    "traefik.http.middlewares.redirect-to-https.redirectscheme.scheme=https",
  ];
  domains.forEach((domain, i) => {
    const url = new URL(domain);
    const path = url.pathname || "/";
    const p = url.port || port;
    const rule = `Host(\`${url.hostname}\`) && PathPrefix(\`${path}\`)`;
    const router = (name: string, entryPoint: string, middlewares: string[]) => {
      labels.push(`traefik.http.routers.${name}.rule=${rule}`);
      labels.push(`traefik.http.routers.${name}.entryPoints=${entryPoint}`);
      if (p) {
        labels.push(`traefik.http.routers.${name}.service=${name}`);
        labels.push(`traefik.http.services.${name}.loadbalancer.server.port=${p}`);
      }
      if (middlewares.length > 0)
        labels.push(`traefik.http.routers.${name}.middlewares=${middlewares.join(",")}`);
    };
    const strip = path !== "/" ? [`${url.protocol.replace(":", "")}-${i}-${uuid}-stripprefix`] : [];
    for (const s of strip) labels.push(`traefik.http.middlewares.${s}.stripprefix.prefixes=${path}`);
    if (url.protocol === "https:") {
      const https = `https-${i}-${uuid}`;
      router(https, "https", [...strip, "gzip"]);
      labels.push(`traefik.http.routers.${https}.tls=true`);
      labels.push(`traefik.http.routers.${https}.tls.certresolver=letsencrypt`);
      router(`http-${i}-${uuid}`, "http", forceHttps ? ["redirect-to-https"] : [...strip, "gzip"]);
    } else router(`http-${i}-${uuid}`, "http", [...strip, "gzip"]);
  });
  return labels.sort();
}

function caddy(network: string, domains: string[], port: string | undefined, forceHttps: boolean): string[] {
  const labels = [`caddy_ingress_network=${network}`];
  domains.forEach((domain, i) => {
    const url = new URL(domain);
    const host = url.hostname;
    const site =
      url.protocol === "https:" && !forceHttps
        ? `http://${host}, https://${host}`
        : `${url.protocol}//${host}`;
    const p = url.port || port;
    labels.push(`caddy_${i}=${site}`);
    labels.push(`caddy_${i}.header=-Server`);
    labels.push(`caddy_${i}.try_files={path} /index.html /index.php`);
    labels.push(`caddy_${i}.handle_path.${i}_reverse_proxy={{upstreams${p ? ` ${p}` : ""}}}`);
    labels.push(`caddy_${i}.handle_path=${url.pathname || "/"}*`);
    labels.push(`caddy_${i}.encode=zstd gzip`);
  });
  return labels.sort();
}

/** The labels Coolify generates for an application, newline-separated (plain text). */
export function generatedLabels(app: Application, network: string): string {
  const fqdn = typeof app.fqdn === "string" ? app.fqdn : "";
  const domains = fqdn
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
  if (domains.length === 0) return "";
  const port = String(app.ports_exposes ?? "").split(",")[0] || undefined;
  const forceHttps = app.settings.is_force_https_enabled !== false;
  return [...traefik(app.uuid, domains, port, forceHttps), ...caddy(network, domains, port, forceHttps)].join(
    "\n",
  );
}

/**
 * Readonly labels: on create Coolify regenerates custom_labels unconditionally, on a PATCH only
 * when the server runs a proxy (isProxyShouldRun).
 */
export function regenerateReadonlyLabels(
  app: Application,
  destination: Destination | undefined,
  server: Server | undefined,
  on: "create" | "patch",
): void {
  if (!app.settings.is_container_label_readonly_enabled) return;
  if (on === "patch" && (!server || server.proxy.type === "NONE")) return;
  app.custom_labels = generatedLabels(app, destination?.network ?? "coolify");
}

/** The PATCH fields after which Coolify regenerates readonly labels. */
export const LABEL_REGENERATING_FIELDS = [
  "domains",
  "noindex_domains",
  "is_http_basic_auth_enabled",
  "http_basic_auth_username",
  "http_basic_auth_password",
];
