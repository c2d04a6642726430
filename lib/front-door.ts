/**
 * The agent's front door: what the reverse proxy in front of it does (rate limit, security
 * headers, request body size) and the few ElizaOS settings that belong with it (CORS origin, web
 * UI). Config key `eliza-coolify:frontDoor` gives the stack's defaults; an agent's own
 * `frontDoor` overrides them field by field. Without either, nothing changes: Coolify generates
 * the proxy labels itself and the web UI stays off.
 *
 * Coolify applies proxy settings only through an application's container labels, and its
 * custom labels replace the ones it generates (notes in providers/coolify/src/provider/
 * proxy-labels.ts). This module validates the config and turns it into the provider's
 * `ProxyOptions` and the agent's env vars; the labels themselves are rendered by the provider,
 * which knows the application's uuid.
 */
import type { ProxyOptions } from "@eliza-coolify/coolify";
import { z } from "zod";

export type ProxyKind = "traefik" | "caddy";

export interface FrontDoor {
  /** What the Coolify server runs as its proxy (Server > Proxy in Coolify's UI). */
  proxy: ProxyKind;
  /** Requests per period per client IP; the health paths are left out. */
  rateLimit?: { average: number; periodSeconds: number; burst: number; excludePaths: string[] };
  securityHeaders?: {
    hsts?: { maxAge: number; includeSubdomains: boolean; preload: boolean };
    contentTypeNosniff: boolean;
    frameOptions?: "DENY" | "SAMEORIGIN";
    referrerPolicy?: string;
  };
  /** Browser origins allowed to call the agent's API (ElizaOS CORS_ORIGIN / API_CORS_ORIGIN). */
  corsOrigins: string[];
  /** Largest request body the proxy lets through, in bytes. */
  maxBodyBytes?: number;
  /** Serve the ElizaOS web UI at `/` (ELIZA_UI_ENABLE). */
  webUi: boolean;
}

/** The defaults behind `frontDoor: {}`: Asset-Forge's 100 requests a minute per IP, strict headers. */
export const FRONT_DOOR_DEFAULTS = {
  proxy: "traefik" as ProxyKind,
  rateLimit: { average: 100, period: "1m", burst: 50, excludePaths: ["/health", "/healthz"] },
  hsts: { maxAge: 31536000, includeSubdomains: true, preload: false },
  securityHeaders: {
    contentTypeNosniff: true,
    frameOptions: "DENY" as const,
    referrerPolicy: "strict-origin-when-cross-origin",
  },
  maxBodySize: "1m",
  webUi: false,
};

const FRONT_DOOR_KEYS = ["proxy", "rateLimit", "securityHeaders", "corsOrigins", "maxBodySize", "webUi"];
const RATE_LIMIT_KEYS = ["average", "period", "burst", "excludePaths"];
const HEADER_KEYS = ["hsts", "contentTypeNosniff", "frameOptions", "referrerPolicy"];
const HSTS_KEYS = ["maxAge", "includeSubdomains", "preload"];

const REFERRER_POLICIES = [
  "no-referrer",
  "no-referrer-when-downgrade",
  "origin",
  "origin-when-cross-origin",
  "same-origin",
  "strict-origin",
  "strict-origin-when-cross-origin",
  "unsafe-url",
] as const;

const PERIOD = /^([1-9]\d*)(s|m|h)$/;
const SIZE = /^([1-9]\d*)(b|k|m|g)?$/i;
const SIZE_FACTOR: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const positiveInt = (what: string) =>
  z.number({ error: `must be a whole number — ${what}` }).int({ error: `must be a whole number — ${what}` });

const bool = (what: string) =>
  z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], {
    error: `must be true or false — ${what}`,
  });

const rateLimitSchema = z.strictObject({
  average: positiveInt("requests allowed per period per client IP, e.g. 100")
    .min(1, { error: "must be at least 1 request per period (set rateLimit: false to turn it off)" })
    .optional(),
  period: z
    .string({ error: 'must be a duration such as "1s", "1m" or "1h"' })
    .regex(PERIOD, { error: 'must be a duration such as "1s", "1m" or "1h"' })
    .optional(),
  burst: positiveInt("requests a client may send at once above the average, e.g. 50")
    .min(1, { error: "must be at least 1" })
    .optional(),
  excludePaths: z
    .array(
      z.string({ error: "must be a path such as /health" }).regex(/^\/[A-Za-z0-9._~/-]*$/, {
        error: "must be a path such as /health (letters, digits, / . _ - ~)",
      }),
      { error: "must be a list of paths such as [/health, /healthz]" },
    )
    .optional(),
});

const headersSchema = z.strictObject({
  hsts: z
    .union([
      z.literal(false),
      z.strictObject({
        maxAge: positiveInt("seconds browsers keep to https, e.g. 31536000 (a year)")
          .min(0, { error: "must not be negative" })
          .optional(),
        includeSubdomains: bool("whether HSTS covers subdomains").optional(),
        preload: bool("whether to ask for the browsers' HSTS preload list").optional(),
      }),
    ])
    .optional(),
  contentTypeNosniff: bool("send X-Content-Type-Options: nosniff").optional(),
  frameOptions: z
    .union([z.literal(false), z.enum(["DENY", "SAMEORIGIN"])], {
      error: "must be DENY, SAMEORIGIN or false (X-Frame-Options)",
    })
    .optional(),
  referrerPolicy: z
    .union([z.literal(false), z.enum(REFERRER_POLICIES)], {
      error: `must be one of ${REFERRER_POLICIES.join(", ")}, or false`,
    })
    .optional(),
});

const frontDoorSchema = z.strictObject(
  {
    proxy: z
      .enum(["traefik", "caddy"], { error: "must be traefik or caddy: the proxy your Coolify server runs" })
      .optional(),
    rateLimit: z.union([z.literal(false), rateLimitSchema]).optional(),
    securityHeaders: z.union([z.literal(false), headersSchema]).optional(),
    corsOrigins: z
      .array(z.string({ error: "must be an origin such as https://app.example.com" }), {
        error: "must be a list of origins such as [https://app.example.com]",
      })
      .optional(),
    maxBodySize: z
      .union([z.literal(false), z.string(), z.number().transform(String)])
      .refine((v) => v === false || SIZE.test(v), {
        error: 'must be a size such as "1m", "512k" or a number of bytes, or false for no limit',
      })
      .optional(),
    webUi: bool("serve the ElizaOS web UI at / (ELIZA_UI_ENABLE)").optional(),
  },
  { error: "must be an object such as {rateLimit: {average: 100, period: 1m, burst: 50}}" },
);

type FrontDoorFields = z.output<typeof frontDoorSchema>;

export interface FrontDoorProblem {
  /** The config key the problem is in: the stack's `frontDoor`, or `agents`. */
  key: "frontDoor" | "agents";
  /** Path inside that key, in `pulumi config set --path` syntax: `.rateLimit.burst`, `[0].frontDoor`. */
  path: string;
  message: string;
}

/** The stack's `frontDoor`, parsed once: its fields, or the problems in it. */
export interface StackFrontDoor {
  given: boolean;
  fields?: FrontDoorFields;
  problems: FrontDoorProblem[];
}

export interface FrontDoorResult {
  value?: FrontDoor;
  problems: FrontDoorProblem[];
  warnings: string[];
}

function issuePath(base: string, path: ReadonlyArray<PropertyKey>): string {
  return base + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

function knownAt(path: ReadonlyArray<PropertyKey>): string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return FRONT_DOOR_KEYS;
  if (last === "rateLimit") return RATE_LIMIT_KEYS;
  if (last === "securityHeaders") return HEADER_KEYS;
  if (last === "hsts") return HSTS_KEYS;
  return [];
}

/** Parses one `frontDoor` value (stack or agent) into its fields, collecting problems. */
function parseFields(
  value: unknown,
  key: FrontDoorProblem["key"],
  base: string,
  problems: FrontDoorProblem[],
): FrontDoorFields | undefined {
  const parsed = frontDoorSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const add = (issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]) => {
    for (const issue of issues) {
      const at = [...prefix, ...issue.path];
      // `false | {...}` sections: report what is wrong inside the object, not "Invalid input".
      const inner =
        issue.code === "invalid_union"
          ? issue.errors.find((b) => b.every((i) => i.path.length > 0))
          : undefined;
      if (inner) add(inner, at);
      else if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          problems.push({
            key,
            path: issuePath(base, [...at, k]),
            message: `unknown key — allowed here: ${knownAt(at).join(", ")}`,
          });
        }
      } else problems.push({ key, path: issuePath(base, at), message: issue.message });
    }
  };
  add(parsed.error.issues, []);
  return undefined;
}

/** Validates the stack's `eliza-coolify:frontDoor` (the agents' defaults) once. */
export function parseStackFrontDoor(value: unknown): StackFrontDoor {
  if (value === undefined || value === null || value === "")
    return { given: false, fields: {}, problems: [] };
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      const message = "is not valid JSON/YAML — give an object such as {rateLimit: {average: 100}}";
      return { given: true, problems: [{ key: "frontDoor", path: "", message }] };
    }
  }
  const problems: FrontDoorProblem[] = [];
  const fields = parseFields(v, "frontDoor", "", problems);
  return fields ? { given: true, fields, problems } : { given: true, problems };
}

/**
 * Layers the stack's and the agent's value of one section: an object merges field by field
 * into what is below it, false turns the section off. Undefined fields do not override.
 */
function overlay<T extends object>(...layers: (T | false | undefined)[]): Partial<T> | false {
  let acc: Partial<T> | false = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer === false) acc = false;
    else acc = { ...(acc || {}), ...definedFields(layer) };
  }
  return acc;
}

function definedFields<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function parseOrigin(origin: string): string | { problem: string } {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { problem: `"${origin}" is not an origin — write it as https://app.example.com` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { problem: `"${origin}" must be an http(s) origin such as https://app.example.com` };
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username)
    return { problem: `"${origin}" must be a bare origin (scheme, host and port only): ${url.origin}` };
  return url.origin;
}

function bytes(size: string): number {
  const [, n, unit] = SIZE.exec(size) ?? [];
  return Number(n) * (SIZE_FACTOR[(unit ?? "b").toLowerCase()] ?? 1);
}

function seconds(period: string): number {
  const [, n, unit] = PERIOD.exec(period) ?? [];
  return Number(n) * { s: 1, m: 60, h: 3600 }[unit as "s" | "m" | "h"];
}

/**
 * The front door of one agent, from the stack's `frontDoor` and the agent's own. Only problems
 * of the agent's value and of the combination are returned: the stack's own are reported once,
 * from parseStackFrontDoor.
 */
export function resolveFrontDoor(
  stackFrontDoor: StackFrontDoor,
  agentValue: unknown,
  opts: { hasDomain: boolean; agentPath: string; env?: Record<string, string> },
): FrontDoorResult {
  const problems: FrontDoorProblem[] = [];
  const warnings: string[] = [];
  if (!stackFrontDoor.given && agentValue === undefined) return { problems, warnings };
  const stack = stackFrontDoor.fields;
  const agentBase = `${opts.agentPath}.frontDoor`;
  const agent = agentValue === undefined ? {} : parseFields(agentValue, "agents", agentBase, problems);
  if (!stack || !agent) return { problems, warnings };

  const fromAgent = (field: keyof FrontDoorFields) => agent[field] !== undefined;
  const at = (field: keyof FrontDoorFields): Pick<FrontDoorProblem, "key" | "path"> =>
    fromAgent(field)
      ? { key: "agents", path: `${agentBase}.${field}` }
      : { key: "frontDoor", path: `.${field}` };
  const d = FRONT_DOOR_DEFAULTS;
  const proxy = agent.proxy ?? stack.proxy ?? d.proxy;
  const result: FrontDoor = { proxy, corsOrigins: [], webUi: agent.webUi ?? stack.webUi ?? d.webUi };

  const rate = overlay(stack.rateLimit, agent.rateLimit);
  const rateLimitChosen = stack.rateLimit !== undefined || agent.rateLimit !== undefined;
  if (rate && proxy === "caddy") {
    if (rateLimitChosen)
      problems.push({
        ...at("rateLimit"),
        message:
          "Coolify's Caddy proxy (caddy-docker-proxy) has no rate limiter — set rateLimit: false, or run Traefik on the server (proxy: traefik)",
      });
    else warnings.push(`${opts.agentPath}: no rate limit on Caddy (Coolify's Caddy has no rate limiter)`);
  } else if (rate) {
    const r = { ...d.rateLimit, ...rate };
    result.rateLimit = {
      average: r.average,
      periodSeconds: seconds(r.period),
      burst: r.burst,
      excludePaths: [...new Set(r.excludePaths)],
    };
  }

  const headers = overlay(stack.securityHeaders, agent.securityHeaders);
  if (headers) {
    const h = { ...d.securityHeaders, ...headers };
    const hstsLayers = overlay(
      stack.securityHeaders ? stack.securityHeaders.hsts : undefined,
      agent.securityHeaders ? agent.securityHeaders.hsts : undefined,
    );
    result.securityHeaders = { contentTypeNosniff: h.contentTypeNosniff ?? true };
    if (hstsLayers) {
      const hsts = { ...d.hsts, ...hstsLayers };
      result.securityHeaders.hsts = hsts;
      if (hsts.preload && (hsts.maxAge < 31536000 || !hsts.includeSubdomains)) {
        problems.push({
          ...at("securityHeaders"),
          message:
            "hsts.preload needs maxAge of at least 31536000 (a year) and includeSubdomains: true (hstspreload.org)",
        });
      }
    }
    if (h.frameOptions) result.securityHeaders.frameOptions = h.frameOptions;
    if (h.referrerPolicy) result.securityHeaders.referrerPolicy = h.referrerPolicy;
  }

  const maxBody = agent.maxBodySize ?? stack.maxBodySize ?? d.maxBodySize;
  if (maxBody !== false) result.maxBodyBytes = bytes(maxBody);

  const origins = agent.corsOrigins ?? stack.corsOrigins ?? [];
  const originsAt = at("corsOrigins");
  origins.forEach((o, i) => {
    const checked = parseOrigin(o);
    if (typeof checked === "string") result.corsOrigins.push(checked);
    else problems.push({ ...originsAt, path: `${originsAt.path}[${i}]`, message: checked.problem });
  });
  for (const name of ["CORS_ORIGIN", "API_CORS_ORIGIN"]) {
    if (result.corsOrigins.length > 0 && opts.env?.[name] !== undefined) {
      problems.push({
        key: "agents",
        path: `${opts.agentPath}.env.${name}`,
        message: `${name} comes from frontDoor.corsOrigins here — remove it from env`,
      });
    }
  }
  if (result.corsOrigins.length > 1) {
    // ElizaOS 1.7.2 hands the env var to the cors package as one string, which it sends back as
    // the allowed origin whatever the request's origin is: a list would match no browser.
    problems.push({
      ...originsAt,
      message:
        "ElizaOS 1.7.2 accepts one CORS origin (CORS_ORIGIN is a single string) — keep the one origin of your frontend",
    });
  }

  if (!opts.hasDomain && (result.rateLimit || result.securityHeaders || result.maxBodyBytes)) {
    warnings.push(
      `${opts.agentPath}: the front door's proxy settings apply to the agent's domain, and it has none — give it a domain, or they do nothing`,
    );
  }
  return problems.length > 0 ? { problems, warnings } : { value: result, problems, warnings };
}

/** The ElizaOS env vars that follow from the front door (or the defaults without one). */
export function frontDoorEnv(frontDoor: FrontDoor | undefined): Record<string, string> {
  const env: Record<string, string> = { ELIZA_UI_ENABLE: frontDoor?.webUi ? "true" : "false" };
  const origin = frontDoor?.corsOrigins[0];
  if (origin) {
    // The app-wide CORS (and Socket.IO's) reads CORS_ORIGIN; /api reads API_CORS_ORIGIN first.
    env.CORS_ORIGIN = origin;
    env.API_CORS_ORIGIN = origin;
  }
  return env;
}

/** What the provider renders into proxy labels; undefined leaves Coolify's own labels alone. */
export function proxyOptions(frontDoor: FrontDoor | undefined): ProxyOptions | undefined {
  if (!frontDoor) return undefined;
  const options: ProxyOptions = {};
  if (frontDoor.rateLimit) options.rateLimit = frontDoor.rateLimit;
  if (frontDoor.securityHeaders) options.securityHeaders = frontDoor.securityHeaders;
  if (frontDoor.maxBodyBytes !== undefined) options.maxBodyBytes = frontDoor.maxBodyBytes;
  return options;
}
