// HTTP plumbing of the simulator: routing, the /api/v1 middleware chain in Coolify's order
// (notes 2.3), the JSON body check (notes 2.1), rate limiting (notes 2.5), faults, the request log
// and the /_sim control surface.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Core } from "./core";
import {
  type ContentTypes,
  type Ctx,
  json,
  logEntry,
  NOT_FOUND_CATCH_ALL,
  type Reply,
  type Route,
  readBody,
  SERVER_ERROR,
  send,
} from "./http";
import { applicationRoutes } from "./routes-applications";
import { databaseBackupRoutes } from "./routes-database-backups";
import { databaseRoutes } from "./routes-databases";
import { deploymentRoutes } from "./routes-deployments";
import { projectRoutes } from "./routes-projects";
import { s3StorageRoutes } from "./routes-s3-storages";
import type { Token } from "./state";
import type {
  Ability,
  AgentBehaviour,
  BackupOutcome,
  DeploymentOutcome,
  Fault,
  ImageBehaviour,
  RequestLogEntry,
  TeamRole,
} from "./types";

const ROUTES: Route[] = [
  ...projectRoutes,
  ...applicationRoutes,
  ...databaseRoutes,
  ...deploymentRoutes,
  ...s3StorageRoutes,
  ...databaseBackupRoutes,
];

interface CompiledRoute {
  route: Route;
  segments: string[];
}
const COMPILED: CompiledRoute[] = ROUTES.map((route) => ({
  route,
  segments: route.template.split("/").filter(Boolean),
}));

function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  const parts = path.split("/").filter(Boolean);
  // Static segments win over parameters (Laravel registers the list routes first).
  let best: { route: Route; params: Record<string, string>; score: number } | null = null;
  for (const c of COMPILED) {
    if (c.route.method !== method || c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    let score = 0;
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i] as string;
      const part = decodeURIComponent(parts[i] as string);
      if (seg.startsWith("{")) params[seg.slice(1, -1)] = part;
      else if (seg === part) score += 1 << (parts.length - i);
      else {
        ok = false;
        break;
      }
    }
    if (ok && (!best || score > best.score)) best = { route: c.route, params, score };
  }
  return best ? { route: best.route, params: best.params } : null;
}

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

export interface ServerState {
  /** Responses that the OpenAPI document does not allow, "METHOD template status path: why". */
  responseViolations: string[];
  faults: QueuedFault[];
  log: RequestLogEntry[];
  buckets: Map<number, { start: number; hits: number }>;
  /** Requests a latency fault is holding right now (not yet handled). */
  inFlight: Set<RequestLogEntry>;
}

const ELEVATED: Ability[] = ["root", "write", "deploy", "delete", "read:sensitive"];

/** PHP truthiness of a json_decode result (Coolify's body check uses `!json_decode(...)`). */
function phpFalsy(v: unknown): boolean {
  return (
    v === null || v === false || v === 0 || v === "" || v === "0" || (Array.isArray(v) && v.length === 0)
  );
}

/** Laravel's ConvertEmptyStringsToNull middleware, applied to the whole JSON body. */
function emptyToNull(v: unknown): unknown {
  if (v === "") return null;
  if (Array.isArray(v)) return v.map(emptyToNull);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = emptyToNull(x);
    return out;
  }
  return v;
}

function tokenLabel(t: Token): string {
  return `token#${t.id}`;
}

export class SimServer {
  st: ServerState = { responseViolations: [], faults: [], log: [], buckets: new Map(), inFlight: new Set() };

  constructor(
    public core: Core,
    private log: (line: string) => void = () => {},
  ) {}

  resetRuntime(): void {
    this.st = { responseViolations: [], faults: [], log: [], buckets: new Map(), inFlight: new Set() };
  }

  private takeFault(method: string, path: string, query: string): Fault | undefined {
    const rel = path.startsWith("/api/v1") ? path.slice("/api/v1".length) || "/" : path;
    for (const q of this.st.faults) {
      const m = q.fault.match;
      if (m?.method && m.method.toUpperCase() !== method) continue;
      if (m?.query !== undefined) {
        if (m.query instanceof RegExp) {
          m.query.lastIndex = 0;
          if (!m.query.test(query)) continue;
        } else if (m.query !== query) continue;
      }
      if (m?.path !== undefined) {
        if (m.path instanceof RegExp) {
          m.path.lastIndex = 0;
          if (!m.path.test(path) && !m.path.test(rel)) continue;
        } else if (m.path !== path && m.path !== rel) continue;
      }
      q.remaining -= 1;
      if (q.remaining <= 0) this.st.faults.splice(this.st.faults.indexOf(q), 1);
      return q.fault;
    }
    return undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://simulator");
    const method = (req.method ?? "GET").toUpperCase();
    const raw = await readBody(req);
    if (url.pathname.startsWith("/_sim/") || url.pathname === "/_sim") {
      send(res, this.control(method, url.pathname, raw), API_TYPES);
      return;
    }
    const { entry, finish } = logEntry(started, method, url, { plane: "api" }, (e) => this.st.log.push(e));
    const isApi = url.pathname.startsWith("/api/");
    let fault: Fault | undefined;
    if (isApi) fault = this.takeFault(method, url.pathname, url.search.replace(/^\?/, ""));
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === "latency") {
      this.st.inFlight.add(entry);
      await new Promise((r) => setTimeout(r, fault.ms));
      this.st.inFlight.delete(entry);
    }
    if (fault?.kind === "reset") {
      finish(0);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const headers: Record<string, string> = {};
      let body: Reply;
      if (fault.status === 429) {
        headers["Retry-After"] = String(fault.retryAfterSeconds ?? 60);
        headers["X-RateLimit-Remaining"] = "0";
        body = json(429, { message: "Too Many Attempts." }, headers);
      } else if (fault.status === 500) {
        body = { ...SERVER_ERROR, headers };
      } else {
        // 502/503/504 come from the reverse proxy in front of Coolify, not from Laravel.
        if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
        const text = { 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" }[fault.status];
        body = {
          status: fault.status,
          text: `${fault.status} ${text}`,
          headers: { ...headers, "Content-Type": "text/plain" },
        };
      }
      body = htmlUnlessJsonAccepted(req, body);
      send(res, body, API_TYPES);
      finish(body.status);
      return;
    }
    this.core.clock.tick();
    let reply: Reply;
    try {
      reply = await this.dispatch(method, url, raw, req, entry);
    } catch (e) {
      this.log(`simulator: handler error ${(e as Error).stack ?? e}`);
      reply = SERVER_ERROR;
    }
    reply = htmlUnlessJsonAccepted(req, reply);
    if (fault?.kind === "dropAfterCommit") {
      finish(0);
      req.socket.destroy();
      return;
    }
    send(res, reply, API_TYPES);
    finish(reply.status);
  }

  private async dispatch(
    method: string,
    url: URL,
    raw: string,
    req: IncomingMessage,
    entry: RequestLogEntry,
  ): Promise<Reply> {
    const p = url.pathname.replace(/\/+$/, "") || "/";
    if ((p === "/api/health" || p === "/api/v1/health") && method === "GET")
      return { status: 200, text: "OK", headers: { "Content-Type": "text/html; charset=UTF-8" } };
    if (!p.startsWith("/api/v1/")) return json(404, NOT_FOUND_CATCH_ALL);
    const rel = p.slice("/api/v1".length);
    const m = matchRoute(method, rel);
    // Unknown paths and methods fall to the catch-all route (notes 2.6).
    if (!m) return json(404, NOT_FOUND_CATCH_ALL);
    const { route, params } = m;
    const core = this.core;
    const s = core.store;

    // 1. auth:sanctum
    const auth = req.headers.authorization ?? "";
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const token = bearer ? s.tokens.find((t) => t.plain === bearer) : undefined;
    if (!token) return json(401, { message: "Unauthenticated." });
    entry.token = tokenLabel(token);

    // 2. throttle:api, keyed by user id (notes 2.5)
    const limit = core.opts.rateLimitPerMinute;
    const now = core.now();
    let bucket = this.st.buckets.get(token.userId);
    if (!bucket || now - bucket.start >= 60_000) {
      bucket = { start: now, hits: 0 };
      this.st.buckets.set(token.userId, bucket);
    }
    if (bucket.hits >= limit) {
      const retryAfter = Math.max(1, Math.ceil((bucket.start + 60_000 - now) / 1000));
      return json(
        429,
        { message: "Too Many Attempts." },
        {
          "Retry-After": String(retryAfter),
          "X-RateLimit-Reset": String(Math.floor(Date.now() / 1000) + retryAfter),
          "X-RateLimit-Limit": String(limit),
          "X-RateLimit-Remaining": "0",
        },
      );
    }
    bucket.hits += 1;
    const rl = {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(Math.max(0, limit - bucket.hits)),
    };
    const withRl = (r: Reply): Reply => ({ ...r, headers: { ...rl, ...(r.headers ?? {}) } });

    // 3. token-team check
    const role = core.roleOf(token);
    if (role === undefined) return withRl(json(401, { message: "Invalid token." }));
    if (role === "member" && token.abilities.some((a) => ELEVATED.includes(a)))
      return withRl(json(403, { message: "Missing required team role." }));

    // 4. API-enabled gate (notes 2.4: success:true on an error)
    if (!route.noApiGate && !s.apiEnabled)
      return withRl(json(403, { success: true, message: "API is disabled." }));

    // 5. sensitive-data flag
    const isRoot = token.abilities.includes("root");
    const sensitive =
      (isRoot || token.abilities.includes("read:sensitive")) && (role === "owner" || role === "admin");

    // 6. ability check; since 4.6.0 every DELETE needs `delete` instead of `write` (notes
    // runtime-and-versions.md section 4)
    const ability = route.method === "DELETE" && core.deletesNeedDeleteAbility ? "delete" : route.ability;
    if (ability && !isRoot && !token.abilities.includes(ability))
      return withRl(json(403, { message: `Missing required permissions: ${ability}` }));

    // 7. controller: body check first (notes 2.1, P25)
    let parsed: unknown;
    let parseOk = true;
    try {
      parsed = raw.length ? JSON.parse(raw) : undefined;
      if (!raw.length) parseOk = false;
    } catch {
      parseOk = false;
    }
    const contentType = String(req.headers["content-type"] ?? "");
    if (route.bodyCheck) {
      if (!/[/+]json\b/i.test(contentType))
        return withRl(
          json(400, { message: "Invalid request.", error: "Content-Type must be application/json." }),
        );
      if (!parseOk || phpFalsy(parsed))
        return withRl(json(400, { message: "Invalid request.", error: "Invalid JSON." }));
      if (typeof parsed === "object" && parsed !== null && Object.keys(parsed).length === 0)
        return withRl(json(400, { message: "Invalid request.", error: "Empty JSON." }));
    }
    const converted = emptyToNull(parseOk ? parsed : undefined);
    const body =
      converted && typeof converted === "object" && !Array.isArray(converted)
        ? (converted as Record<string, unknown>)
        : {};
    const doValidate = route.validate ?? route.bodyCheck ?? false;
    const schemaErrors =
      doValidate && core.validator ? core.validator.validate(method, route.template, body) : null;
    const ctx: Ctx = {
      core,
      token,
      teamId: token.teamId,
      sensitive,
      params,
      query: url.searchParams,
      body,
      rawJson: parseOk ? parsed : undefined,
      raw,
      contentType,
      method,
      template: route.template,
      schemaErrors,
    };
    const reply = await route.handler(ctx);
    this.checkResponse(method, route.template, reply);
    return withRl(reply);
  }

  /** Our answers must be ones the real server's spec allows; violations are kept for tests. */
  private checkResponse(method: string, template: string, reply: Reply): void {
    const validator = this.core.validator;
    if (!validator || reply.json === undefined) return;
    for (const problem of validator.validateResponse(method, template, reply.status, reply.json)) {
      if (this.st.responseViolations.length < 200)
        this.st.responseViolations.push(`${method} ${template} ${reply.status} ${problem}`);
    }
  }

  // ------------------------------------------------------------------ /_sim control surface

  control(method: string, path: string, raw: string): Reply {
    let body: Record<string, unknown> = {};
    try {
      const parsed = raw ? JSON.parse(raw) : {};
      if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
    } catch {
      return json(400, { error: "invalid JSON" });
    }
    const c = this.control_;
    if (!c) return json(500, { error: "control not attached" });
    try {
      const route = `${method} ${path.replace(/\/+$/, "")}`;
      switch (route) {
        case "GET /_sim/info":
          return json(200, {
            rootToken: this.core.rootToken,
            version: this.core.opts.version,
            validation: !!this.core.validator,
          });
        case "POST /_sim/reset":
          c.reset();
          return json(200, { ok: true });
        case "POST /_sim/tokens": {
          const token = c.createToken({
            abilities: (body.abilities as Ability[]) ?? ["root"],
            role: body.role as TeamRole | undefined,
            teamId: body.teamId as number | undefined,
          });
          return json(201, { token });
        }
        case "POST /_sim/api-enabled":
          c.setApiEnabled(Boolean(body.enabled));
          return json(200, { ok: true, enabled: Boolean(body.enabled) });
        case "POST /_sim/faults": {
          const list = Array.isArray(body) ? body : Array.isArray(body.faults) ? body.faults : [body];
          for (const f of list as Record<string, unknown>[]) c.injectFault(faultFromJson(f));
          return json(201, { ok: true, queued: list.length });
        }
        case "DELETE /_sim/faults":
          c.clearFaults();
          return json(200, { ok: true });
        case "GET /_sim/requests":
          return json(200, c.requestLog());
        case "DELETE /_sim/requests":
          c.clearRequestLog();
          return json(200, { ok: true });
        case "GET /_sim/state":
          return json(200, c.state());
        case "POST /_sim/deployment-outcome":
          c.setDeploymentOutcome(String(body.appUuid ?? "*"), body.outcome as DeploymentOutcome);
          return json(200, { ok: true });
        case "POST /_sim/agent-behaviour": {
          const { appUuid, ...behaviour } = body;
          if (typeof appUuid !== "string" || !appUuid) throw new Error("appUuid is required");
          c.setAgentBehaviour(appUuid, behaviour as AgentBehaviour);
          return json(200, { ok: true });
        }
        case "POST /_sim/tls-certificate": {
          if (typeof body.host !== "string" || !body.host) throw new Error("host is required");
          const pem =
            typeof body.cert === "string" && typeof body.key === "string"
              ? { cert: body.cert, key: body.key }
              : null;
          c.setTlsCertificate(body.host, pem);
          return json(200, { ok: true });
        }
        case "POST /_sim/backup-outcome":
          c.setBackupOutcome(String(body.databaseUuid ?? "*"), body.outcome as BackupOutcome);
          return json(200, { ok: true });
        case "POST /_sim/run-scheduled-backups":
          c.runScheduledBackups();
          return json(200, { ok: true });
        case "POST /_sim/image-behaviour": {
          const { image, ...behaviour } = body;
          if (typeof image !== "string" || !image) throw new Error("image is required");
          c.setImageBehaviour(image, behaviour as ImageBehaviour);
          return json(200, { ok: true });
        }
        case "POST /_sim/git-head":
          c.setGitHead(String(body.repository), String(body.branch), String(body.commit));
          return json(200, { ok: true });
        case "POST /_sim/container-file":
          c.writeContainerFile(String(body.appUuid), String(body.path), String(body.content ?? ""));
          return json(200, { ok: true });
        case "POST /_sim/container-file/read":
          return json(200, { content: c.readContainerFile(String(body.appUuid), String(body.path)) ?? null });
        case "POST /_sim/clock":
          if (body.speed !== undefined) c.setClockSpeed(Number(body.speed));
          if (body.step !== undefined) c.step(Number(body.step));
          return json(200, { ok: true, now: this.core.now() });
        default:
          return json(404, { error: `unknown control route ${route}` });
      }
    } catch (e) {
      return json(400, { error: (e as Error).message });
    }
  }

  control_?: import("./types").SimulatorControl;
}

type JsonPattern = string | { regex: string; flags?: string };

function faultFromJson(f: Record<string, unknown>): Fault {
  const match = f.match as { method?: string; path?: JsonPattern; query?: JsonPattern } | undefined;
  const pattern = (p: JsonPattern | undefined): string | RegExp | undefined =>
    p && typeof p === "object" ? new RegExp(p.regex, p.flags) : p;
  const kind = f.kind;
  if (kind !== "latency" && kind !== "status" && kind !== "reset" && kind !== "dropAfterCommit")
    throw new Error(`unknown fault kind ${String(kind)}`);
  return {
    ...(f as object),
    match: match
      ? { method: match.method, path: pattern(match.path), query: pattern(match.query) }
      : undefined,
  } as Fault;
}

/**
 * Framework-generated errors (throttle 429, unhandled 500) are HTML pages unless the client sends
 * `Accept: application/json` (notes 2.1). Controller answers are always JSON.
 */
function htmlUnlessJsonAccepted(req: IncomingMessage, reply: Reply): Reply {
  const accept = String(req.headers.accept ?? "");
  if (/[/+]json\b/i.test(accept)) return reply;
  const msg = (reply.json as { message?: unknown } | undefined)?.message;
  const framework =
    (reply.status === 429 && msg === "Too Many Attempts.") ||
    (reply.status === 500 && msg === "Server Error");
  if (!framework) return reply;
  const title = reply.status === 429 ? "Too Many Requests" : "Server Error";
  return {
    status: reply.status,
    text: `<!DOCTYPE html><html><head><title>${title}</title></head><body>${reply.status} | ${title}</body></html>`,
    headers: { ...(reply.headers ?? {}), "Content-Type": "text/html; charset=UTF-8" },
  };
}

/** Coolify's own answers: JSON, or an HTML page (health, version, framework errors). */
const API_TYPES: ContentTypes = { json: "application/json", text: "text/html; charset=UTF-8" };
