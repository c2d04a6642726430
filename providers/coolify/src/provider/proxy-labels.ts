/**
 * The container labels that carry an application's front door (rate limit, security headers,
 * body size) to Coolify's proxy.
 *
 * How Coolify treats labels (read from its source, v4.3.11: bootstrap/helpers/docker.php
 * `generateLabelsApplication`/`fqdnLabelsForTraefik`, app/Jobs/ApplicationDeploymentJob.php
 * `generate_compose_file`, app/Http/Controllers/Api/ApplicationsController.php):
 * - An application's `custom_labels` (base64 of newline-separated `key=value` lines) are the
 *   container's whole proxy label set when not empty: the deploy uses them instead of the
 *   generated ones, adding only its own `coolify.*` labels. So the labels here repeat the routing
 *   Coolify would generate (routers `http-<i>-<uuid>`/`https-<i>-<uuid>`, entry points http and
 *   https, `redirect-to-https`, `gzip`, the `letsencrypt` resolver) and add the front door.
 * - With "readonly labels" on (the default, not settable through the API), Coolify overwrites
 *   `custom_labels` with generated ones on create and on every PATCH that sends `domains`
 *   (or noindex/basic auth): the labels go in a PATCH of their own, after those.
 * - For applications Coolify attaches no middleware named by a label to its routers (only
 *   services do), so the routers are declared here with the middleware list.
 * - Labels take effect on the next deployment; `$` would be escaped (`$$`), so none is used.
 */
import { z } from "zod";
import { parseFqdn } from "./domains";

export const ProxyOptionsSchema = z.strictObject({
  rateLimit: z
    .strictObject({
      average: z.number().int().min(1),
      periodSeconds: z.number().int().min(1),
      burst: z.number().int().min(1),
      excludePaths: z.array(z.string().regex(/^\/[A-Za-z0-9._~/-]*$/)).default([]),
    })
    .optional(),
  securityHeaders: z
    .strictObject({
      hsts: z
        .strictObject({
          maxAge: z.number().int().min(0),
          includeSubdomains: z.boolean(),
          preload: z.boolean(),
        })
        .optional(),
      contentTypeNosniff: z.boolean().default(true),
      frameOptions: z.enum(["DENY", "SAMEORIGIN"]).optional(),
      referrerPolicy: z
        .string()
        .regex(/^[a-z-]+$/)
        .optional(),
    })
    .optional(),
  maxBodyBytes: z.number().int().min(1).optional(),
});
export type ProxyOptions = z.input<typeof ProxyOptionsSchema>;
type Options = z.output<typeof ProxyOptionsSchema>;

export interface LabelTarget {
  /** The application's uuid: Coolify's router names carry it. */
  uuid: string;
  /** Normalised domains, as stored in fqdn. */
  domains: readonly string[];
  /** The container port (ports_exposes), used where a domain names none. */
  port: number;
  /** The destination's Docker network, for Caddy's ingress (Coolify's default is "coolify"). */
  network?: string;
}

/** Traefik's priority for the health routers: above any rule-length default of the main router. */
const HEALTH_PRIORITY = 10000;

function joinPath(prefix: string, path: string): string {
  return prefix === "/" ? path : `${prefix.replace(/\/+$/, "")}${path}`;
}

function traefikMiddlewares(
  uuid: string,
  o: Options,
): { labels: string[]; main: string[]; health: string[] } {
  const labels: string[] = [];
  const main: string[] = [];
  const health: string[] = [];
  const h = o.securityHeaders;
  if (h) {
    const name = `fd-headers-${uuid}`;
    const m = `traefik.http.middlewares.${name}.headers`;
    if (h.hsts) {
      labels.push(`${m}.stsSeconds=${h.hsts.maxAge}`);
      labels.push(`${m}.stsIncludeSubdomains=${h.hsts.includeSubdomains}`);
      labels.push(`${m}.stsPreload=${h.hsts.preload}`);
    }
    if (h.contentTypeNosniff) labels.push(`${m}.contentTypeNosniff=true`);
    if (h.frameOptions) labels.push(`${m}.customFrameOptionsValue=${h.frameOptions}`);
    if (h.referrerPolicy) labels.push(`${m}.referrerPolicy=${h.referrerPolicy}`);
    if (labels.length > 0) {
      main.push(name);
      health.push(name);
    }
  }
  if (o.rateLimit) {
    const name = `fd-ratelimit-${uuid}`;
    const m = `traefik.http.middlewares.${name}.ratelimit`;
    // Without a source criterion Traefik keys the limit by the client's address (RemoteAddr).
    labels.push(`${m}.average=${o.rateLimit.average}`);
    labels.push(`${m}.period=${o.rateLimit.periodSeconds}s`);
    labels.push(`${m}.burst=${o.rateLimit.burst}`);
    main.push(name);
  }
  if (o.maxBodyBytes !== undefined) {
    const name = `fd-body-${uuid}`;
    labels.push(`traefik.http.middlewares.${name}.buffering.maxRequestBodyBytes=${o.maxBodyBytes}`);
    main.push(name);
    health.push(name);
  }
  return { labels, main, health };
}

/** Traefik labels: Coolify's routing for each domain, with the front door's middlewares on it. */
export function traefikLabels(t: LabelTarget, options: ProxyOptions): string[] {
  const o = ProxyOptionsSchema.parse(options);
  const mw = traefikMiddlewares(t.uuid, o);
  const labels = [
    "traefik.enable=true",
    "traefik.http.middlewares.gzip.compress=true",
    "traefik.http.middlewares.redirect-to-https.redirectscheme.scheme=https",
    ...mw.labels,
  ];
  t.domains.forEach((domain, i) => {
    const url = new URL(domain);
    const host = url.hostname;
    const path = url.pathname || "/";
    const port = url.port ? Number(url.port) : t.port;
    const rule = `Host(\`${host}\`) && PathPrefix(\`${path}\`)`;
    const https = url.protocol === "https:";
    const name = `${https ? "https" : "http"}-${i}-${t.uuid}`;
    const router = (n: string, r: string, entryPoint: string, middlewares: string[]) => {
      labels.push(`traefik.http.routers.${n}.rule=${r}`);
      labels.push(`traefik.http.routers.${n}.entryPoints=${entryPoint}`);
      labels.push(`traefik.http.routers.${n}.service=${name}`);
      if (middlewares.length > 0)
        labels.push(`traefik.http.routers.${n}.middlewares=${middlewares.join(",")}`);
      if (entryPoint === "https") {
        labels.push(`traefik.http.routers.${n}.tls=true`);
        labels.push(`traefik.http.routers.${n}.tls.certresolver=letsencrypt`);
      }
    };
    const strip: string[] = [];
    if (path !== "/") {
      // Coolify strips a domain's path prefix before the app sees it (is_stripprefix_enabled).
      labels.push(`traefik.http.middlewares.${name}-stripprefix.stripprefix.prefixes=${path}`);
      strip.push(`${name}-stripprefix`);
    }
    labels.push(`traefik.http.services.${name}.loadbalancer.server.port=${port}`);
    const entryPoint = https ? "https" : "http";
    router(name, rule, entryPoint, [...strip, "gzip", ...mw.main]);
    const excluded = o.rateLimit?.excludePaths ?? [];
    if (o.rateLimit && excluded.length > 0) {
      // The health paths get a router of their own without the rate limit: Coolify's and any
      // uptime checker's probes must not spend the clients' budget or be refused.
      const paths = excluded.map((p) => `Path(\`${joinPath(path, p)}\`)`).join(" || ");
      const healthName = `${name}-health`;
      router(healthName, `Host(\`${host}\`) && (${paths})`, entryPoint, [...strip, "gzip", ...mw.health]);
      labels.push(`traefik.http.routers.${healthName}.priority=${HEALTH_PRIORITY}`);
    }
    if (https) {
      // Coolify's http router for an https domain only redirects (is_force_https_enabled).
      const httpName = `http-${i}-${t.uuid}`;
      labels.push(`traefik.http.routers.${httpName}.rule=${rule}`);
      labels.push(`traefik.http.routers.${httpName}.entryPoints=http`);
      labels.push(`traefik.http.routers.${httpName}.service=${httpName}`);
      labels.push(`traefik.http.services.${httpName}.loadbalancer.server.port=${port}`);
      labels.push(`traefik.http.routers.${httpName}.middlewares=redirect-to-https`);
    }
  });
  return [...new Set(labels)].sort();
}

/**
 * Caddy labels (caddy-docker-proxy, Coolify's Caddy): Coolify's site blocks with the security
 * headers and the body limit. Caddy has no rate limiter, so lib/front-door.ts refuses one there.
 */
export function caddyLabels(t: LabelTarget, options: ProxyOptions): string[] {
  const o = ProxyOptionsSchema.parse(options);
  const labels = [`caddy_ingress_network=${t.network ?? "coolify"}`];
  t.domains.forEach((domain, i) => {
    const url = new URL(domain);
    const path = url.pathname || "/";
    const port = url.port ? Number(url.port) : t.port;
    const site = `caddy_${i}`;
    labels.push(`${site}=${url.protocol}//${url.hostname}`);
    const headers: string[] = ["-Server="];
    const h = o.securityHeaders;
    if (h?.hsts) {
      const parts = [`max-age=${h.hsts.maxAge}`];
      if (h.hsts.includeSubdomains) parts.push("includeSubDomains");
      if (h.hsts.preload) parts.push("preload");
      headers.push(`Strict-Transport-Security="${parts.join("; ")}"`);
    }
    if (h?.contentTypeNosniff) headers.push("X-Content-Type-Options=nosniff");
    if (h?.frameOptions) headers.push(`X-Frame-Options=${h.frameOptions}`);
    if (h?.referrerPolicy) headers.push(`Referrer-Policy=${h.referrerPolicy}`);
    // Caddy's header directive takes one form: numbered entries keep them in one block.
    headers.forEach((entry, n) => {
      labels.push(`${site}.header.${n}_${entry}`);
    });
    if (o.maxBodyBytes !== undefined) labels.push(`${site}.request_body.max_size=${o.maxBodyBytes}`);
    labels.push(`${site}.encode=zstd gzip`);
    labels.push(`${site}.handle_path=${path}*`);
    labels.push(`${site}.handle_path.${i}_reverse_proxy={{upstreams ${port}}}`);
  });
  return [...new Set(labels)].sort();
}

/** Both proxies' labels, as Coolify writes both unless the server asks for exact labels. */
export function frontDoorLabels(t: LabelTarget, options: ProxyOptions): string[] {
  return [...traefikLabels(t, options), ...caddyLabels(t, options)].sort();
}

/** The `custom_labels` value Coolify expects: base64 of the newline-separated labels. */
export function encodeLabels(labels: readonly string[]): string {
  return Buffer.from(labels.join("\n"), "utf8").toString("base64");
}

/**
 * The labels stored in `custom_labels`, as a sorted list for comparison. Coolify may store them
 * as base64 or (after its own generation on create) as plain text, and rewrites line endings
 * and drops `coolify.*` lines on deploy; none of that is a change.
 */
export function decodeLabels(stored: string | null | undefined): string[] {
  if (!stored) return [];
  const b64 = /^[A-Za-z0-9+/]+={0,2}$/.test(stored.trim()) && stored.trim().length % 4 === 0;
  const text = b64 ? Buffer.from(stored.trim(), "base64").toString("utf8") : stored;
  return [
    ...new Set(
      text
        .split(/\r\n|\n|\r/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("coolify.")),
    ),
  ].sort();
}

/**
 * The labels an application should carry, or undefined where Coolify's own are right: no front
 * door, or no domain (Coolify generates no routing without one, and neither does this).
 */
export function labelsFor(t: LabelTarget, options: ProxyOptions | undefined): string[] | undefined {
  if (!options || parseFqdn(t.domains.join(",")).length === 0) return undefined;
  return frontDoorLabels(t, options);
}

export function sameLabels(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
