// The data plane of the simulator: Coolify's proxy (Traefik) in front of the deployed
// applications, and a fake ElizaOS 1.7.2 server per running application.
//
// Routing (coolify-api.md section 5): a request whose Host (and, on https, SNI) names an
// application's fqdn host is the proxy's. The port in a Coolify domain is the container's, so only
// scheme and host name count. Only running containers are routed; the rest get Traefik's answers.
//
// The fake server follows @elizaos/server 1.7.2 (elizaos.md section 5, and the shapes of its
// dist/index.js): /healthz, /health, the X-API-KEY check on /api/*, GET /api/agents, the sessions
// API, GET /api/agents/:id/logs. It is driven by the production env vars the container started
// with (a snapshot taken when a deployment starts the container, as a real container only sees
// env changes after a redeploy).
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import { forward } from "./backing";
import type { Core } from "./core";
import { type ContentTypes, logEntry, type Reply, readBody, send } from "./http";
import { imageOf, refOf } from "./runtime";
import type { Application } from "./state";
import type { AgentBehaviour, DeploymentOutcome, RequestLogEntry } from "./types";

export type Scheme = "http" | "https";

/** Paths of Coolify itself; they keep reaching the API when the Host is not an app domain. */
export function isApiPath(pathname: string): boolean {
  return (
    pathname === "/api/v1" ||
    pathname.startsWith("/api/v1/") ||
    pathname === "/api/health" ||
    pathname === "/api/health/" ||
    pathname === "/_sim" ||
    pathname.startsWith("/_sim/")
  );
}

/** Host header without port, lower case; IPv6 literals without brackets. */
export function hostOf(req: IncomingMessage): string {
  const host = String(req.headers.host ?? "").toLowerCase();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (v6) return v6[1] as string;
  return host.replace(/:\d+$/, "");
}

/** Hosts that address the simulator itself (Coolify's own address), not an app domain. */
function isOwnHost(host: string): boolean {
  return host === "" || host === "localhost" || isIP(host) !== 0;
}

/** Hosts of the fqdn entries of one scheme. */
function domainHosts(app: Application, scheme: Scheme): string[] {
  const out: string[] = [];
  for (const d of (app.fqdn ?? "").split(",")) {
    const entry = d.trim();
    if (!entry.startsWith(`${scheme}://`)) continue;
    try {
      out.push(new URL(entry).hostname.toLowerCase());
    } catch {
      // stored domains are validated; ignore anything odd
    }
  }
  return out;
}

const isRunning = (app: Application) => app.status.startsWith("running");

// ------------------------------------------------------------------------ ElizaOS facts

/** Model provider plugins, their key variable and the errors their SDKs give (elizaos.md 2.2). */
const PROVIDERS: Record<string, { env?: string; missing: string; invalid: (key: string) => string }> = {
  "@elizaos/plugin-openai": {
    env: "OPENAI_API_KEY",
    missing:
      "OpenAI API key is missing. Pass it using the 'apiKey' parameter or the OPENAI_API_KEY environment variable.",
    invalid: (key) =>
      `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
  },
  "@elizaos/plugin-anthropic": {
    env: "ANTHROPIC_API_KEY",
    missing:
      "Anthropic API key is missing. Pass it using the 'apiKey' parameter or the ANTHROPIC_API_KEY environment variable.",
    invalid: () => "invalid x-api-key",
  },
  "@elizaos/plugin-openrouter": {
    env: "OPENROUTER_API_KEY",
    missing:
      "OpenRouter API key is missing. Pass it using the 'apiKey' parameter or the OPENROUTER_API_KEY environment variable.",
    invalid: () => "User not found.",
  },
  "@elizaos/plugin-google-genai": {
    env: "GOOGLE_GENERATIVE_AI_API_KEY",
    missing:
      "Google Generative AI API key is missing. Pass it using the 'apiKey' parameter or the GOOGLE_GENERATIVE_AI_API_KEY environment variable.",
    invalid: () => "API key not valid. Please pass a valid API key.",
  },
  "@elizaos/plugin-elizacloud": {
    env: "ELIZAOS_API_KEY",
    missing: "ELIZAOS_API_KEY is not set",
    invalid: () => "Invalid API key",
  },
  "@elizaos/plugin-ollama": { missing: "", invalid: () => "" },
};

/** OpenAI's way of quoting a wrong key (same as test/model-server). */
function maskKey(key: string): string {
  return key.length <= 8 ? "****" : `${key.slice(0, 3)}****${key.slice(-4)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @elizaos/core stringToUuid: SHA-1 of encodeURIComponent(name), version nibble 0, RFC variant. */
export function stringToUuid(target: string): string {
  if (UUID_RE.test(target)) return target.toLowerCase();
  const bytes = createHash("sha1").update(encodeURIComponent(target)).digest().subarray(0, 16);
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  bytes[6] = (bytes[6] as number) & 0x0f;
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const MESSAGE_SERVER_ID = "00000000-0000-0000-0000-000000000000";
const BASE_PLUGINS = ["@elizaos/plugin-sql", "@elizaos/plugin-bootstrap"];
const TIMEOUT_CONFIG = {
  timeoutMinutes: 30,
  autoRenew: true,
  maxDurationMinutes: 720,
  warningThresholdMinutes: 5,
};

interface Character {
  id: string;
  name: string;
  bio: string;
  plugins: string[];
}

interface SessionMessage {
  id: string;
  content: string;
  authorId: string;
  isAgent: boolean;
  createdAt: number;
  metadata: Record<string, unknown>;
}

interface Session {
  id: string;
  channelId: string;
  agentId: string;
  userId: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  messages: SessionMessage[];
}

interface LogRow {
  id: string;
  entityId: string;
  roomId: string;
  type: string;
  body: Record<string, unknown>;
  createdAt: string;
}

/** One started container: the env it started with and its in-memory state. */
interface Container {
  /** The image it runs (`name:tag`): the reply names it, and per-image behaviour keys on it. */
  image: string;
  env: Record<string, string>;
  character: Character | null;
  /** Why the process did not come up (invalid AGENT_CHARACTER_JSON). */
  crash?: string;
  sessions: Map<string, Session>;
  logs: LogRow[];
}

/** The agent's answers: JSON with a charset; text replies carry their own Content-Type. */
const AGENT_TYPES: ContentTypes = { json: "application/json; charset=utf-8" };

const text = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
  status,
  text: body,
  headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
});
const json = (status: number, body: unknown): Reply => ({ status, json: body });

/** Traefik's answer when no router matches. */
export const TRAEFIK_404 = (): Reply => text(404, "404 page not found\n");

function sessionError(status: number, code: string, message: string): Reply {
  return json(status, { error: { code, message, timestamp: new Date().toISOString() } });
}

// ------------------------------------------------------------------------ the plane

export class AgentPlane {
  private behaviours = new Map<string, AgentBehaviour>();
  private containers = new Map<string, Container>();

  constructor(
    private core: Core,
    private log: (entry: RequestLogEntry) => void,
  ) {}

  reset(): void {
    this.behaviours.clear();
    this.containers.clear();
  }

  setBehaviour(appUuid: string, b: AgentBehaviour): void {
    const out: AgentBehaviour = {};
    if (b.replyDelayMs !== undefined) {
      const ms = Number(b.replyDelayMs);
      if (!Number.isFinite(ms) || ms < 0) throw new Error("replyDelayMs must be a number >= 0");
      out.replyDelayMs = ms;
    }
    if (b.failChat !== undefined) out.failChat = Boolean(b.failChat);
    if (b.unreachable !== undefined) out.unreachable = Boolean(b.unreachable);
    if (Object.keys(out).length === 0) this.behaviours.delete(appUuid);
    else this.behaviours.set(appUuid, out);
  }

  /** Called by the core when a deployment starts the app's container: snapshot its env. */
  containerStarted(app: Application, outcome?: DeploymentOutcome): void {
    this.containers.set(app.uuid, this.boot(app, outcome));
  }

  /** Called by the core when the app's container is removed (stop, delete). */
  containerStopped(app: Application): void {
    this.containers.delete(app.uuid);
  }

  /**
   * Whether the proxy answers this request (true) or it goes to the Coolify API (false).
   * App domains always belong to the proxy; Coolify's own address (an IP or localhost) and API paths
   * under any other host go to the API; any other host is an unknown domain for Traefik.
   * `serverId`: the server whose proxy listens here (only its applications are routed).
   */
  claims(req: IncomingMessage, scheme: Scheme, serverId: number): boolean {
    const host = hostOf(req);
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    if (isApiPath(pathname) && isOwnHost(host)) return false;
    if (this.appsFor(host, scheme, serverId).length > 0) return true;
    if (scheme === "http" && this.appsFor(host, "https", serverId).length > 0) return true;
    if (isApiPath(pathname)) return false;
    // Coolify's own address over plain http is the API as before; over https it was never routed.
    if (scheme === "http" && isOwnHost(host)) return false;
    return true;
  }

  /** Applications with a domain of this host, on the given server: each server has its own proxy. */
  private appsFor(host: string, scheme: Scheme, serverId: number): Application[] {
    if (!host) return [];
    const s = this.core.store;
    return s.applications.filter(
      (a) =>
        s.serverOfDestination(a.destination_id)?.id === serverId && domainHosts(a, scheme).includes(host),
    );
  }

  async handle(req: IncomingMessage, res: ServerResponse, scheme: Scheme, serverId: number): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://x");
    const method = (req.method ?? "GET").toUpperCase();
    const host = hostOf(req);
    const server = this.core.store.servers.find((s) => s.id === serverId)?.uuid;
    const { entry, finish } = logEntry(started, method, url, { plane: "agent", host, server }, this.log);
    const raw = await readBody(req);
    this.core.clock.tick();

    let reply: Reply;
    const app = this.route(req, scheme, host, serverId);
    if (!app) {
      reply = TRAEFIK_404();
    } else if (app === "redirect") {
      reply = text(302, "Found", { Location: `https://${host}${url.pathname}${url.search}` });
    } else if (app === "misdirected") {
      reply = text(421, "Misdirected Request");
    } else {
      entry.app = app.uuid;
      if (app.status.startsWith("starting") || app.status.startsWith("restarting")) {
        // The router exists, the container is not serving yet.
        reply = text(503, "no available server\n");
      } else if (!isRunning(app)) {
        reply = TRAEFIK_404();
      } else {
        const behaviour = this.behaviours.get(app.uuid) ?? {};
        const backed = this.core.backings.forwardUrl(app.uuid);
        if (backed) {
          // A real process behind the app (backing.ts): the proxy forwards to it.
          reply = await forward(backed, method, url, req.headers, raw);
          send(res, reply, AGENT_TYPES);
          finish(reply.status);
          return;
        }
        if (behaviour.unreachable) {
          finish(0);
          req.socket.destroy();
          return;
        }
        let container = this.containers.get(app.uuid);
        if (!container) {
          // Running without a deployment seen by this plane (e.g. reset state): boot from current env.
          container = this.boot(app);
          this.containers.set(app.uuid, container);
        }
        try {
          reply = await this.eliza(app, container, behaviour, method, url, req, raw);
        } catch (e) {
          reply = json(500, { error: { code: "INTERNAL_SERVER_ERROR", message: String(e) } });
        }
      }
    }
    if (res.destroyed) {
      finish(0);
      return;
    }
    send(res, reply, AGENT_TYPES);
    finish(reply.status);
  }

  /** The app the proxy sends this request to, or why not. */
  private route(
    req: IncomingMessage,
    scheme: Scheme,
    host: string,
    serverId: number,
  ): Application | "redirect" | "misdirected" | undefined {
    const pick = (apps: Application[]) => apps.find(isRunning) ?? apps[0];
    const direct = pick(this.appsFor(host, scheme, serverId));
    if (direct) {
      if (scheme === "https") {
        const sni = ((req.socket as TLSSocket).servername || "").toLowerCase();
        if (sni && sni !== host) return "misdirected";
      }
      return direct;
    }
    if (scheme === "http") {
      // An https:// domain also gets an http router: redirect-to-https when force-https is on
      // (the default), the app itself otherwise (coolify-api.md section 5).
      const viaHttps = pick(this.appsFor(host, "https", serverId));
      if (viaHttps) return viaHttps.settings.is_force_https_enabled === false ? viaHttps : "redirect";
    }
    return undefined;
  }

  // ---------------------------------------------------------------------- container boot

  private boot(app: Application, outcome?: DeploymentOutcome): Container {
    const env: Record<string, string> = {};
    for (const e of this.core.store.envs) {
      if (e.resourceable_type !== "application" || e.resourceable_id !== app.id || e.is_preview) continue;
      env[e.key] = e.value ?? "";
    }
    const runtime = this.core.runtime;
    const image =
      runtime.container(app.uuid)?.image ?? refOf(imageOf(app, String(app.git_commit_sha ?? "HEAD")));
    const container: Container = { image, env, character: null, sessions: new Map(), logs: [] };
    const print = (line: string) => runtime.print(app.uuid, line);
    print(`Info       Starting ElizaOS 1.7.2 server (image ${image})`);
    this.parseCharacter(container, env);
    if (container.crash) {
      print(`Error      ${container.crash}`);
      return container;
    }
    const name = container.character?.name ?? "Eliza";
    print(`Info       [${name}] character loaded, plugins: ${container.character?.plugins.join(", ")}`);
    print(`Info       AgentServer is listening on port ${env.SERVER_PORT || "3000"}`);
    // What this image prints besides, with env values filled in (a leak the provider must mask).
    for (const line of runtime.behaviourOf(image).logLines ?? [])
      print(line.replace(/\$\{([A-Z0-9_]+)\}/g, (_m, key: string) => env[key] ?? ""));
    if (outcome === "unhealthy")
      print(`Error      [${name}] Failed to start agent: initialisation did not complete`);
    else print(`Success    [${name}] agent started (${container.character?.id})`);
    return container;
  }

  /** The character from AGENT_CHARACTER_JSON (default Eliza), or why the process crashed. */
  private parseCharacter(container: Container, env: Record<string, string>): void {
    const rawCharacter = env.AGENT_CHARACTER_JSON?.trim();
    let data: Record<string, unknown> = { name: "Eliza", bio: ["A helpful assistant."] };
    if (rawCharacter) {
      try {
        const parsed = JSON.parse(rawCharacter) as unknown;
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        data = parsed as Record<string, unknown>;
      } catch (e) {
        container.crash = `AGENT_CHARACTER_JSON: invalid JSON: ${(e as Error).message}`;
        return;
      }
      if (typeof data.name !== "string" || !data.name) {
        container.crash =
          "AGENT_CHARACTER_JSON: not a valid ElizaOS character: name: Character name is required";
        return;
      }
    }
    const name = String(data.name);
    const bio = Array.isArray(data.bio) ? String(data.bio[0] ?? "") : String(data.bio ?? "");
    const plugins = new Set<string>([
      ...BASE_PLUGINS,
      ...(Array.isArray(data.plugins) ? data.plugins.map(String) : []),
    ]);
    // agent/src/characters.ts adds the OpenAI plugin when its key is present.
    if (env.OPENAI_API_KEY?.trim()) plugins.add("@elizaos/plugin-openai");
    const id =
      typeof data.id === "string" && UUID_RE.test(data.id) ? data.id.toLowerCase() : stringToUuid(name);
    container.character = { id, name, bio, plugins: [...plugins] };
  }

  /** The model error a chat message runs into, or undefined when the model answers. */
  private modelError(c: Container, character: Character): string | undefined {
    const provider = character.plugins.find((p) => PROVIDERS[p]);
    if (!provider) return "No handler found for delegate type: TEXT_LARGE";
    const spec = PROVIDERS[provider];
    if (!spec?.env) return undefined;
    const key = c.env[spec.env]?.trim();
    if (!key) return spec.missing;
    if (key === "invalid") return spec.invalid(key);
    return undefined;
  }

  // ---------------------------------------------------------------------- ElizaOS routes

  private async eliza(
    app: Application,
    c: Container,
    behaviour: AgentBehaviour,
    method: string,
    url: URL,
    req: IncomingMessage,
    raw: string,
  ): Promise<Reply> {
    // The process exits at start on a bad character: Traefik has a router but nothing listens.
    if (c.crash || !c.character) return text(502, "Bad Gateway");
    const character = c.character;
    const env = c.env;
    const p = url.pathname;
    const nowIso = () => new Date(this.core.now()).toISOString();
    // An unhealthy deployment outcome: the server listens, but the agent failed to start.
    const agentRunning = app.status !== "running:unhealthy";

    if (method === "GET" && p === "/healthz") return json(200, { status: "ok", timestamp: nowIso() });
    if (method === "GET" && p === "/health") {
      const count = agentRunning ? 1 : 0;
      return json(count ? 200 : 503, {
        status: count ? "OK" : "DEGRADED",
        version: env.APP_VERSION || "unknown",
        timestamp: nowIso(),
        dependencies: { agents: count ? "healthy" : "no_agents" },
        agentCount: count,
      });
    }

    if (p.startsWith("/api/") || p === "/api") {
      const token = env.ELIZA_SERVER_AUTH_TOKEN;
      if (token && method !== "OPTIONS" && req.headers["x-api-key"] !== token) {
        return json(401, { error: "API key required", message: "Missing or invalid X-API-KEY header" });
      }
      let body: Record<string, unknown> = {};
      if (raw) {
        try {
          const parsed = JSON.parse(raw) as unknown;
          if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
        } catch {
          // express.json() answers a malformed body with 400
          return json(400, { success: false, error: { code: "BAD_REQUEST", message: "Invalid JSON" } });
        }
      }
      const r = await this.api(app, c, character, agentRunning, behaviour, method, url, body);
      if (r) return r;
      return json(404, { success: false, error: { message: "API endpoint not found", code: 404 } });
    }

    // The web UI: a stand-in page while it is on (the default), 403 when ELIZA_UI_ENABLE is off.
    const ui = env.ELIZA_UI_ENABLE?.trim();
    if (ui && !/^(true|yes|1|on)$/i.test(ui)) return text(403, "Forbidden");
    if (method === "GET" && p === "/") return text(200, `ok ${app.uuid}\n`);
    return text(404, "Client application not found");
  }

  private async api(
    app: Application,
    c: Container,
    character: Character,
    agentRunning: boolean,
    behaviour: AgentBehaviour,
    method: string,
    url: URL,
    body: Record<string, unknown>,
  ): Promise<Reply | undefined> {
    const parts = url.pathname.split("/").filter(Boolean).slice(1); // after "api"
    const now = this.core.now();

    // GET /api/agents
    if (method === "GET" && parts.length === 1 && parts[0] === "agents") {
      return json(200, {
        success: true,
        data: {
          agents: [
            {
              id: character.id,
              name: character.name,
              characterName: character.name,
              bio: character.bio,
              status: agentRunning ? "active" : "inactive",
            },
          ],
        },
      });
    }

    // GET /api/agents/:id/logs
    if (method === "GET" && parts.length === 3 && parts[0] === "agents" && parts[2] === "logs") {
      const id = String(parts[1]);
      if (!UUID_RE.test(id))
        return json(400, {
          success: false,
          error: { code: "INVALID_ID", message: "Invalid agent ID format" },
        });
      if (id.toLowerCase() !== character.id || !agentRunning)
        return json(404, { success: false, error: { code: "NOT_FOUND", message: "Agent not found" } });
      const type = url.searchParams.get("type");
      const count = Number(url.searchParams.get("count") ?? 10) || 10;
      const offset = Number(url.searchParams.get("offset") ?? 0) || 0;
      const rows = [...c.logs]
        .reverse()
        .filter((l) => !type || l.type === type)
        .slice(offset, offset + count);
      return json(200, { success: true, data: rows });
    }

    if (parts[0] !== "messaging" || parts[1] !== "sessions") return undefined;
    const sessionId = parts[2];

    // POST /api/messaging/sessions
    if (method === "POST" && parts.length === 2) {
      if (typeof body.agentId !== "string" || typeof body.userId !== "string")
        return sessionError(400, "VALIDATION_ERROR", "Missing required fields: agentId, userId");
      if (!UUID_RE.test(body.agentId))
        return sessionError(400, "VALIDATION_ERROR", "Invalid UUID format for field 'agentId'");
      if (!UUID_RE.test(body.userId))
        return sessionError(400, "VALIDATION_ERROR", "Invalid UUID format for field 'userId'");
      if (body.agentId.toLowerCase() !== character.id || !agentRunning)
        return sessionError(404, "AGENT_NOT_FOUND", `Agent with ID '${body.agentId}' not found`);
      const metadata =
        body.metadata && typeof body.metadata === "object" ? (body.metadata as Record<string, unknown>) : {};
      const s: Session = {
        id: randomUUID(),
        channelId: randomUUID(),
        agentId: character.id,
        userId: body.userId,
        metadata,
        createdAt: now,
        expiresAt: now + TIMEOUT_CONFIG.timeoutMinutes * 60_000,
        messages: [],
      };
      c.sessions.set(s.id, s);
      return json(201, {
        sessionId: s.id,
        channelId: s.channelId,
        agentId: s.agentId,
        userId: s.userId,
        createdAt: new Date(s.createdAt).toISOString(),
        metadata,
        expiresAt: new Date(s.expiresAt).toISOString(),
        timeoutConfig: TIMEOUT_CONFIG,
      });
    }
    if (!sessionId || parts.length > 4) return undefined;

    const live = (): Session | Reply => {
      const s = c.sessions.get(sessionId);
      if (!s) return sessionError(404, "SESSION_NOT_FOUND", `Session with ID '${sessionId}' not found`);
      if (s.expiresAt <= this.core.now()) {
        c.sessions.delete(sessionId);
        return sessionError(
          410,
          "SESSION_EXPIRED",
          `Session '${sessionId}' expired at ${new Date(s.expiresAt).toISOString()}`,
        );
      }
      return s;
    };

    // DELETE /api/messaging/sessions/:id
    if (method === "DELETE" && parts.length === 3) {
      if (!c.sessions.delete(sessionId))
        return sessionError(404, "SESSION_NOT_FOUND", `Session with ID '${sessionId}' not found`);
      return json(200, { success: true, message: `Session ${sessionId} deleted successfully` });
    }

    // GET /api/messaging/sessions/:id/messages
    if (method === "GET" && parts.length === 4 && parts[3] === "messages") {
      const s = live();
      if (!("messages" in s)) return s;
      const after = Number(url.searchParams.get("after") ?? Number.NaN);
      const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 50) || 50);
      const list = s.messages.filter((m) => Number.isNaN(after) || m.createdAt > after);
      const page = list.slice(-limit).reverse();
      return json(200, {
        messages: page.map((m) => ({ ...m, createdAt: new Date(m.createdAt).toISOString() })),
        hasMore: list.length > page.length,
        cursors: {
          before: page.at(-1)?.createdAt,
          after: page[0]?.createdAt,
        },
      });
    }

    // POST /api/messaging/sessions/:id/messages
    if (method === "POST" && parts.length === 4 && parts[3] === "messages") {
      const mode = body.transport ?? body.mode;
      const transports: Record<string, string> = {
        http: "http",
        sse: "sse",
        websocket: "websocket",
        sync: "http",
        stream: "sse",
      };
      if (mode !== undefined && mode !== null && (typeof mode !== "string" || !transports[mode])) {
        return sessionError(
          400,
          "VALIDATION_ERROR",
          typeof mode !== "string"
            ? `Invalid content: Invalid transport type "${typeof mode}". Transport must be a string.`
            : `Invalid content: Invalid transport "${mode}". Must be one of: http, sse, websocket, sync, stream`,
        );
      }
      const transport = mode === undefined || mode === null ? "websocket" : transports[mode as string];
      if (typeof body.content !== "string")
        return sessionError(400, "VALIDATION_ERROR", "Invalid content: Invalid message request format");
      const s = live();
      if (!("messages" in s)) return s;
      if (body.content.length === 0)
        return sessionError(400, "VALIDATION_ERROR", "Invalid content: Content cannot be empty");
      if (body.content.length > 4000)
        return sessionError(
          400,
          "VALIDATION_ERROR",
          "Invalid content: Content exceeds maximum length of 4000 characters",
        );
      if (transport === "sse") return sessionError(400, "VALIDATION_ERROR", "sse is not simulated");

      const sentAt = this.core.now();
      const userMessage: SessionMessage = {
        id: randomUUID(),
        content: body.content,
        authorId: s.userId,
        isAgent: false,
        createdAt: sentAt,
        metadata: { sessionId: s.id, agentId: s.agentId, userId: s.userId },
      };
      s.messages.push(userMessage);
      const userMessageBus = {
        id: userMessage.id,
        channel_id: s.channelId,
        message_server_id: MESSAGE_SERVER_ID,
        author_id: s.userId,
        content: body.content,
        created_at: sentAt,
        source_type: "user",
        raw_message: { content: body.content },
        metadata: { ...s.metadata, sessionId: s.id, agentId: s.agentId, userId: s.userId },
      };
      const sessionStatus = {
        expiresAt: new Date(s.expiresAt).toISOString(),
        renewalCount: 0,
        wasRenewed: false,
        isNearExpiration: false,
      };
      // The agent's run: model call (delay), then a reply or a logged error.
      const run = async (): Promise<{ text?: string; error?: string }> => {
        if (behaviour.replyDelayMs) await new Promise((r) => setTimeout(r, behaviour.replyDelayMs));
        const startTime = Date.now();
        const error =
          behaviour.failChat || this.core.runtime.behaviourOf(c.image).failChat
            ? "Simulated model failure (failChat)"
            : this.modelError(c, character);
        const runId = randomUUID();
        c.logs.push({
          id: randomUUID(),
          entityId: s.userId,
          roomId: s.channelId,
          type: "run_event",
          body: {
            runId,
            status: error ? "error" : "completed",
            messageId: userMessage.id,
            roomId: s.channelId,
            entityId: s.userId,
            startTime,
            endTime: Date.now(),
            duration: Date.now() - startTime,
            ...(error ? { error } : {}),
            source: "client_chat",
          },
          createdAt: new Date(this.core.now()).toISOString(),
        });
        if (error) {
          this.core.runtime.print(app.uuid, `Error      [${character.name}] message failed: ${error}`);
          return { error };
        }
        const reply = `pong: ${character.name} is up and answering (simulated ElizaOS 1.7.2, image ${c.image}).`;
        s.messages.push({
          id: randomUUID(),
          content: reply,
          authorId: character.id,
          isAgent: true,
          createdAt: Math.max(this.core.now(), sentAt + 1),
          metadata: { sessionId: s.id, agentName: character.name },
        });
        return { text: reply };
      };

      if (transport === "websocket") {
        // Answers at once; the reply appears in the session's messages.
        void run();
        return json(201, { success: true, userMessage: userMessageBus, sessionStatus });
      }
      const result = await run();
      if (result.error)
        return json(500, { success: false, error: "Failed to process message in HTTP transport" });
      return json(201, {
        success: true,
        userMessage: userMessageBus,
        agentResponse: {
          thought: "Answer the user briefly.",
          actions: ["REPLY"],
          text: result.text,
          simple: true,
        },
        sessionStatus,
      });
    }
    return undefined;
  }
}
