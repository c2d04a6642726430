import { Agent, request as undiciRequest } from "undici";
import type { z } from "zod";
import { abortReason, type Clock, realClock } from "./clock";
import { CoolifyError, errorFromResponse, isCoolifyError, networkError } from "./errors";
import { type RateLimiter, sharedRateLimiter } from "./rate-limiter";
import {
  backoffDelayMs,
  type HttpMethod,
  isConnectPhaseError,
  isRetryableNetworkError,
  isSafeMethod,
  parseRetryAfterMs,
  RETRYABLE_GATEWAY_STATUSES,
} from "./retry";
import {
  type Application,
  ApplicationDeploymentsSchema,
  ApplicationSchema,
  CreateApplicationResponseSchema,
  CreatePostgresResponseSchema,
  type Database,
  DatabaseSchema,
  type Deployment,
  DeploymentSchema,
  DeployResponseSchema,
  type Environment,
  EnvironmentSchema,
  type EnvVar,
  EnvVarSchema,
  type Project,
  ProjectSchema,
  type ProjectSummary,
  ProjectSummarySchema,
  QueuedDeploymentResponseSchema,
  UuidResponseSchema,
} from "./schemas";
import { assertVersionSupported } from "./version";

export interface RequestEvent {
  method: string;
  /** Path under /api/v1, without the query string. Never holds credentials. */
  path: string;
  status: number | "network-error";
  attempt: number;
  ms: number;
}

/** A wait the user should hear about: a 429's Retry-After, or the client's own rate budget. */
export interface WaitEvent {
  reason: "rate_limited" | "rate_budget";
  ms: number;
  method: string;
  path: string;
}

export interface ClientOptions {
  /** Coolify root, e.g. "https://coolify.example.com"; "/api/v1" is appended unless already there. */
  baseUrl: string;
  token: string;
  /** Per request attempt, default 30_000. */
  timeoutMs?: number;
  /** Default 5. */
  maxAttempts?: number;
  /** Client-side budget shared process-wide per baseUrl+token, default 150 (Coolify allows 200). */
  rateLimitPerMinute?: number;
  /** Backoff base, default 500 ms. */
  retryBaseDelayMs?: number;
  /** Backoff ceiling, default 10_000 ms. */
  retryMaxDelayMs?: number;
  /** Longest Retry-After honoured before giving up on waiting, default 120_000 ms. */
  maxRetryAfterMs?: number;
  onRequest?: (e: RequestEvent) => void;
  /** Told before the client sleeps on a rate limit, so a long wait is not a silent one. */
  onWait?: (e: WaitEvent) => void;
  /** Tests: fake time for backoff, Retry-After and the rate limiter. */
  clock?: Clock;
  /** Tests: jitter source in [0, 1). */
  random?: () => number;
  /** Tests: a private limiter instead of the shared one. */
  rateLimiter?: RateLimiter;
}

export type EnvVarInput = {
  key: string;
  value: string;
  is_preview?: boolean;
  is_literal?: boolean;
  is_multiline?: boolean;
  is_shown_once?: boolean;
  is_buildtime?: boolean;
  is_runtime?: boolean;
  comment?: string;
};

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions<T> {
  body?: unknown;
  query?: Record<string, QueryValue>;
  schema?: z.ZodType<T>;
  /** Allow retrying this POST/PATCH after a 5xx or a dropped connection (it must be idempotent). */
  retrySafe?: boolean;
  /** "text" for the endpoints that answer text/html (GET /version). */
  responseType?: "json" | "text";
  signal?: AbortSignal;
}

export type ApplicationKind = "dockerimage" | "dockerfile" | "public";
export type GoneKind = "application" | "database" | "project";

const API_PREFIX = "/api/v1";
const USER_AGENT = "eliza-coolify";

// One keep-alive Agent per Coolify origin, shared by every client in the process. The short idle
// timeout stays below common proxy idle limits, so a request is rarely sent on a socket the server
// is closing (which would look like a dropped connection and, for a POST, cannot be retried).
const agents = new Map<string, Agent>();

function agentFor(origin: string): Agent {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000, connections: 16 });
    agents.set(origin, agent);
  }
  return agent;
}

/** Close every pooled connection (tests, or a process about to exit). */
export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close().catch(() => undefined)));
}

interface ResolvedUrl {
  /** e.g. https://coolify.example.com/api/v1 (no credentials, no trailing slash). */
  apiBase: string;
  origin: string;
  /** Safe to show: no userinfo. */
  display: string;
}

function resolveBaseUrl(baseUrl: string): ResolvedUrl {
  let u: URL;
  try {
    u = new URL(baseUrl.trim());
  } catch {
    throw new CoolifyError(
      "configuration",
      `coolify:url is not a valid URL. Set it with \`pulumi config set coolify:url https://coolify.example.com\` ` +
        `or the COOLIFY_URL environment variable.`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new CoolifyError(
      "configuration",
      `coolify:url must start with https:// or http:// (got ${u.protocol}). Set it with ` +
        `\`pulumi config set coolify:url https://coolify.example.com\` or COOLIFY_URL.`,
    );
  }
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  let path = u.pathname.replace(/\/+$/, "");
  if (!path.endsWith(API_PREFIX)) path = `${path}${API_PREFIX}`;
  const display = `${u.origin}${path.slice(0, -API_PREFIX.length)}`;
  return { apiBase: `${u.origin}${path}`, origin: u.origin, display };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

function withoutUndefined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `field \`${i.path.length > 0 ? i.path.join(".") : "(root)"}\`: ${i.message}`)
    .join("; ");
}

type AttemptOutcome =
  | { kind: "response"; status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { kind: "error"; timedOut: boolean; error: unknown };

class TimeoutSignal extends Error {}

export class CoolifyClient {
  private readonly url: ResolvedUrl;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly onRequest?: (e: RequestEvent) => void;
  private readonly onWait?: (e: WaitEvent) => void;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly limiter: RateLimiter;

  constructor(opts: ClientOptions) {
    this.url = resolveBaseUrl(opts.baseUrl);
    if (!opts.token?.trim()) {
      throw new CoolifyError(
        "configuration",
        "The Coolify API token is empty. Set it with `pulumi config set --secret coolify:token <token>` or the " +
          "COOLIFY_TOKEN environment variable.",
      );
    }
    this.token = opts.token.trim();
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.retryBaseDelayMs = opts.retryBaseDelayMs ?? 500;
    this.retryMaxDelayMs = opts.retryMaxDelayMs ?? 10_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
    this.onRequest = opts.onRequest;
    this.onWait = opts.onWait;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.limiter =
      opts.rateLimiter ??
      sharedRateLimiter(this.url.apiBase, this.token, opts.rateLimitPerMinute ?? 150, opts.clock);
  }

  /** The Coolify root URL without credentials, for messages. */
  get baseUrl(): string {
    return this.url.display;
  }

  // Keep the token out of console.log / util.inspect / JSON.stringify of a client.
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.url.display };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `CoolifyClient { baseUrl: '${this.url.display}' }`;
  }

  // ---------------------------------------------------------------------------------------------
  // generic

  async request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions<T> = {}): Promise<T> {
    const relPath = path.startsWith("/") ? path : `/${path}`;
    const url = `${this.url.apiBase}${relPath}${buildQuery(opts.query)}`;
    const safe = opts.retrySafe ?? isSafeMethod(method);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: "application/json",
      "user-agent": USER_AGENT,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }

    // A DELETE whose earlier attempt may have reached the server: a 404 now means it worked.
    let deleteMayHaveApplied = false;

    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire(opts.signal, (ms) =>
        this.tell({ reason: "rate_budget", ms, method, path: relPath }),
      );
      const wallStart = performance.now();
      const outcome = await this.attempt(method, url, headers, body, opts.signal);
      this.emit({
        method,
        path: relPath,
        status: outcome.kind === "response" ? outcome.status : "network-error",
        attempt,
        ms: Math.round(performance.now() - wallStart),
      });
      const attemptsLeft = attempt < this.maxAttempts;

      if (outcome.kind === "error") {
        if (opts.signal?.aborted) throw abortReason(opts.signal);
        const retryable = outcome.timedOut || isRetryableNetworkError(outcome.error);
        // Refused or unresolvable: the request never left, so even a POST may be sent again.
        const notSent = !outcome.timedOut && isConnectPhaseError(outcome.error);
        if (method === "DELETE" && !notSent) deleteMayHaveApplied = true;
        if (((safe && retryable) || notSent) && attemptsLeft) {
          await this.clock.sleep(this.backoff(attempt), opts.signal);
          continue;
        }
        throw networkError(outcome.timedOut ? "timeout" : "network", {
          method,
          path: relPath,
          baseUrl: this.url.display,
          attempts: attempt,
          timeoutMs: this.timeoutMs,
          cause: outcome.error,
        });
      }

      const { status, text } = outcome;
      if (status >= 200 && status < 300) {
        return this.parse(method, relPath, text, opts);
      }

      if (status === 404 && method === "DELETE" && deleteMayHaveApplied) {
        return undefined as T;
      }

      if (status === 429 && attemptsLeft) {
        // The server refused before doing anything, so any method may be sent again.
        const retryAfter = parseRetryAfterMs(outcome.headers["retry-after"], Date.now());
        if (retryAfter !== undefined) this.limiter.pauseUntil(this.clock.now() + retryAfter);
        const wait =
          retryAfter !== undefined ? Math.min(retryAfter, this.maxRetryAfterMs) : this.backoff(attempt);
        if (retryAfter === undefined || retryAfter <= this.maxRetryAfterMs) {
          this.tell({ reason: "rate_limited", ms: wait, method, path: relPath });
          await this.clock.sleep(wait, opts.signal);
          continue;
        }
      }

      if (RETRYABLE_GATEWAY_STATUSES.has(status)) {
        if (method === "DELETE") deleteMayHaveApplied = true;
        if (safe && attemptsLeft) {
          const retryAfter = parseRetryAfterMs(outcome.headers["retry-after"], Date.now());
          const wait =
            retryAfter !== undefined && retryAfter <= this.maxRetryAfterMs
              ? retryAfter
              : this.backoff(attempt);
          await this.clock.sleep(wait, opts.signal);
          continue;
        }
      }

      throw this.httpError(method, relPath, outcome, attempt);
    }
  }

  private backoff(attempt: number): number {
    return backoffDelayMs(attempt, this.retryBaseDelayMs, this.retryMaxDelayMs, this.random);
  }

  private tell(e: WaitEvent): void {
    if (!this.onWait) return;
    try {
      this.onWait(e);
    } catch {
      // Telling the user must never break a request.
    }
  }

  private emit(e: RequestEvent): void {
    if (!this.onRequest) return;
    try {
      this.onRequest(e);
    } catch {
      // A logging hook must never break a request.
    }
  }

  private async attempt(
    method: HttpMethod,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    callerSignal: AbortSignal | undefined,
  ): Promise<AttemptOutcome> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutSignal("timeout")), this.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([controller.signal, callerSignal]) : controller.signal;
    try {
      const res = await undiciRequest(url, {
        method,
        headers,
        body,
        signal,
        dispatcher: agentFor(this.url.origin),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      return { kind: "response", status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      const timedOut =
        (controller.signal.aborted && controller.signal.reason instanceof TimeoutSignal) ||
        hasCode(error, ["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);
      return { kind: "error", timedOut, error: sanitiseCause(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  private parse<T>(method: string, path: string, text: string, opts: RequestOptions<T>): T {
    let value: unknown;
    if (opts.responseType === "text") {
      value = text;
    } else if (text.trim() === "") {
      value = undefined;
    } else {
      try {
        value = JSON.parse(text);
      } catch {
        throw new CoolifyError(
          "bad_response",
          `Coolify answered ${method} ${path} with a body that is not JSON (${JSON.stringify(text.slice(0, 80))}). ` +
            `Check that coolify:url points at Coolify itself, not a login page or another proxy.`,
          { method, path },
        );
      }
    }
    if (!opts.schema) return value as T;
    const result = opts.schema.safeParse(value);
    if (!result.success) {
      throw new CoolifyError(
        "bad_response",
        `Coolify answered ${method} ${path} with a body this client does not understand: ` +
          `${formatIssues(result.error)}. This Coolify version may not be supported (4.2.0 or newer is needed).`,
        { method, path },
      );
    }
    return result.data;
  }

  private httpError(
    method: HttpMethod,
    path: string,
    outcome: Extract<AttemptOutcome, { kind: "response" }>,
    attempts: number,
  ): CoolifyError {
    let parsed: unknown;
    try {
      parsed = outcome.text ? JSON.parse(outcome.text) : undefined;
    } catch {
      parsed = undefined;
    }
    const retryAfterMs = parseRetryAfterMs(outcome.headers["retry-after"], Date.now());
    const limit = outcome.headers["x-ratelimit-limit"];
    return errorFromResponse({
      status: outcome.status,
      method,
      path,
      body: parsed,
      bodyText: outcome.text,
      attempts,
      retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
      rateLimitHeader: Array.isArray(limit) ? limit[0] : limit,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // meta

  async version(): Promise<string> {
    const text = await this.request<string>("GET", "/version", { responseType: "text" });
    return text.trim().replace(/^"(.*)"$/, "$1");
  }

  /** Refuses Coolify older than 4.2.0 (see version.ts for why); returns the version. */
  async assertSupportedVersion(): Promise<string> {
    const v = await this.version();
    assertVersionSupported(v, this.url.display);
    return v;
  }

  // ---------------------------------------------------------------------------------------------
  // projects and environments

  async createProject(b: { name: string; description?: string }): Promise<{ uuid: string }> {
    const r = await this.request("POST", "/projects", {
      body: withoutUndefined(b),
      schema: UuidResponseSchema,
    });
    return { uuid: r.uuid };
  }

  getProject(uuid: string): Promise<Project> {
    return this.request("GET", `/projects/${seg(uuid)}`, { schema: ProjectSchema });
  }

  listProjects(): Promise<ProjectSummary[]> {
    return this.request("GET", "/projects", { schema: ProjectSummarySchema.array() });
  }

  async updateProject(uuid: string, b: { name?: string; description?: string }): Promise<void> {
    const body = withoutUndefined(b);
    if (Object.keys(body).length === 0) return; // Coolify answers 400 "Empty JSON." to {}
    await this.request("PATCH", `/projects/${seg(uuid)}`, { body });
  }

  /** Fails with code "bad_request" (see isHasResources) while queued child deletes are unfinished. */
  async deleteProject(uuid: string): Promise<void> {
    await this.request("DELETE", `/projects/${seg(uuid)}`);
  }

  /** Includes the environment's applications, postgresqls, ... lists as Coolify returns them. */
  getEnvironment(projectUuid: string, envNameOrUuid: string): Promise<Environment> {
    return this.request("GET", `/projects/${seg(projectUuid)}/${seg(envNameOrUuid)}`, {
      schema: EnvironmentSchema,
    });
  }

  async createEnvironment(projectUuid: string, b: { name: string }): Promise<{ uuid: string }> {
    const r = await this.request("POST", `/projects/${seg(projectUuid)}/environments`, {
      body: { name: b.name },
      schema: UuidResponseSchema,
    });
    return { uuid: r.uuid };
  }

  // ---------------------------------------------------------------------------------------------
  // applications

  async createApplication(
    kind: ApplicationKind,
    body: Record<string, unknown>,
  ): Promise<{ uuid: string; domains?: string | null }> {
    if (kind !== "dockerimage" && kind !== "dockerfile" && kind !== "public") {
      throw new CoolifyError("configuration", `Unknown application kind "${String(kind)}".`);
    }
    const path = `/applications/${kind}`;
    const r = await this.request("POST", path, {
      body: withoutUndefined(body),
      schema: CreateApplicationResponseSchema.partial({ uuid: true }),
    });
    if (!r.uuid) {
      // With instant_deploy and a deployment already queued for the commit, Coolify creates the
      // app but answers 200 without its uuid (notes P29).
      throw new CoolifyError(
        "bad_response",
        `Coolify created the application but did not return its uuid (POST ${path} answered ` +
          `${JSON.stringify(r.message ?? "")}). Look it up by name; avoid instant_deploy on create.`,
        { method: "POST", path },
      );
    }
    return { uuid: r.uuid, domains: r.domains ?? null };
  }

  getApplication(uuid: string): Promise<Application> {
    return this.request("GET", `/applications/${seg(uuid)}`, { schema: ApplicationSchema });
  }

  listApplications(query?: { tag?: string }): Promise<Application[]> {
    return this.request("GET", "/applications", { query, schema: ApplicationSchema.array() });
  }

  async updateApplication(uuid: string, body: Record<string, unknown>): Promise<void> {
    const b = withoutUndefined(body);
    if (Object.keys(b).length === 0) return;
    await this.request("PATCH", `/applications/${seg(uuid)}`, { body: b });
  }

  /** Only queues the deletion; use waitUntilGone("application", uuid) to wait for it. */
  async deleteApplication(uuid: string, opts: { deleteVolumes?: boolean } = {}): Promise<void> {
    await this.request("DELETE", `/applications/${seg(uuid)}`, {
      query: { delete_volumes: opts.deleteVolumes },
    });
  }

  async startApplication(
    uuid: string,
    opts: { force?: boolean } = {},
  ): Promise<{ deploymentUuid: string | null; message: string }> {
    const r = await this.request("POST", `/applications/${seg(uuid)}/start`, {
      query: { force: opts.force },
      schema: QueuedDeploymentResponseSchema,
    });
    return { deploymentUuid: r.deployment_uuid ?? null, message: r.message ?? "" };
  }

  async restartApplication(uuid: string): Promise<{ deploymentUuid: string | null }> {
    const r = await this.request("POST", `/applications/${seg(uuid)}/restart`, {
      schema: QueuedDeploymentResponseSchema,
    });
    return { deploymentUuid: r.deployment_uuid ?? null };
  }

  async stopApplication(uuid: string): Promise<void> {
    await this.request("POST", `/applications/${seg(uuid)}/stop`);
  }

  // ---------------------------------------------------------------------------------------------
  // application env vars

  /** Production and preview variables alike; filter on is_preview. */
  listApplicationEnvs(appUuid: string): Promise<EnvVar[]> {
    return this.request("GET", `/applications/${seg(appUuid)}/envs`, { schema: EnvVarSchema.array() });
  }

  /**
   * Upserts by key, item by item (not atomic). Send every flag: omitted ones are reset by Coolify
   * (notes P2, P3).
   */
  async bulkUpsertApplicationEnvs(appUuid: string, items: EnvVarInput[]): Promise<void> {
    if (items.length === 0) return; // Coolify answers 400 "Bulk data is required."
    await this.request("PATCH", `/applications/${seg(appUuid)}/envs/bulk`, {
      body: { data: items.map((i) => withoutUndefined(i)) },
    });
  }

  async createApplicationEnv(appUuid: string, item: EnvVarInput): Promise<{ uuid: string }> {
    const r = await this.request("POST", `/applications/${seg(appUuid)}/envs`, {
      body: withoutUndefined(item),
      schema: UuidResponseSchema,
    });
    return { uuid: r.uuid };
  }

  /** Finds the variable by key (and is_preview); always send the value and every flag. */
  async updateApplicationEnv(appUuid: string, item: EnvVarInput): Promise<void> {
    await this.request("PATCH", `/applications/${seg(appUuid)}/envs`, { body: withoutUndefined(item) });
  }

  async deleteApplicationEnv(appUuid: string, envUuid: string): Promise<void> {
    await this.request("DELETE", `/applications/${seg(appUuid)}/envs/${seg(envUuid)}`);
  }

  // ---------------------------------------------------------------------------------------------
  // databases

  /** The URLs carry the password and come back only here (later GETs hide them without read:sensitive). */
  async createPostgres(
    body: Record<string, unknown>,
  ): Promise<{ uuid: string; internal_db_url?: string; external_db_url?: string }> {
    const r = await this.request("POST", "/databases/postgresql", {
      body: withoutUndefined(body),
      schema: CreatePostgresResponseSchema,
    });
    const out: { uuid: string; internal_db_url?: string; external_db_url?: string } = { uuid: r.uuid };
    if (r.internal_db_url) out.internal_db_url = r.internal_db_url;
    if (r.external_db_url) out.external_db_url = r.external_db_url;
    return out;
  }

  getDatabase(uuid: string): Promise<Database> {
    return this.request("GET", `/databases/${seg(uuid)}`, { schema: DatabaseSchema });
  }

  async updateDatabase(uuid: string, body: Record<string, unknown>): Promise<void> {
    const b = withoutUndefined(body);
    if (Object.keys(b).length === 0) return;
    await this.request("PATCH", `/databases/${seg(uuid)}`, { body: b });
  }

  /** Only queues the deletion; use waitUntilGone("database", uuid) to wait for it. */
  async deleteDatabase(uuid: string, opts: { deleteVolumes?: boolean } = {}): Promise<void> {
    await this.request("DELETE", `/databases/${seg(uuid)}`, {
      query: { delete_volumes: opts.deleteVolumes },
    });
  }

  /** A database that is already running counts as started (Coolify answers 400 for it). */
  async startDatabase(uuid: string): Promise<void> {
    try {
      await this.request("POST", `/databases/${seg(uuid)}/start`);
    } catch (e) {
      if (isCoolifyError(e, "bad_request") && /already running/i.test(e.serverMessage ?? "")) return;
      throw e;
    }
  }

  async restartDatabase(uuid: string): Promise<void> {
    await this.request("POST", `/databases/${seg(uuid)}/restart`);
  }

  // ---------------------------------------------------------------------------------------------
  // deployments

  /**
   * POST /deploy?uuid=... (POST only since 4.2; uuid as a string, never a JSON array: notes P15,
   * P33). When a deployment for the same commit is already queued Coolify returns no uuid; the
   * queued or running one is looked up and returned instead.
   */
  async deploy(appUuid: string, opts: { force?: boolean } = {}): Promise<{ deploymentUuid: string }> {
    const r = await this.request("POST", "/deploy", {
      query: { uuid: appUuid, force: opts.force },
      schema: DeployResponseSchema,
    });
    const entry = r.deployments.find((d) => d.resource_uuid === appUuid) ?? r.deployments[0];
    if (entry?.deployment_uuid) return { deploymentUuid: entry.deployment_uuid };
    const active = await this.listApplicationDeployments(appUuid, { take: 5 });
    const running = active.deployments.find((d) => d.status === "queued" || d.status === "in_progress");
    if (running) return { deploymentUuid: running.deployment_uuid };
    throw new CoolifyError(
      "bad_response",
      `Coolify accepted POST /deploy for application ${appUuid} but returned no deployment ` +
        `(${JSON.stringify(entry?.message ?? "")}) and none is queued or running.`,
      { method: "POST", path: "/deploy" },
    );
  }

  getDeployment(deploymentUuid: string): Promise<Deployment> {
    return this.request("GET", `/deployments/${seg(deploymentUuid)}`, { schema: DeploymentSchema });
  }

  /** Newest first. */
  listApplicationDeployments(
    appUuid: string,
    opts: { skip?: number; take?: number } = {},
  ): Promise<{ count: number; deployments: Deployment[] }> {
    return this.request("GET", `/deployments/applications/${seg(appUuid)}`, {
      query: { skip: opts.skip, take: opts.take },
      schema: ApplicationDeploymentsSchema,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // waiting

  /**
   * Coolify deletes are queued jobs: poll GET until 404. Backoff from 0.5 s to a 5 s cap; each
   * poll is one request against the shared rate limit.
   */
  async waitUntilGone(
    kind: GoneKind,
    uuid: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const collection = { application: "applications", database: "databases", project: "projects" }[kind];
    if (!collection) throw new CoolifyError("configuration", `Unknown resource kind "${String(kind)}".`);
    const path = `/${collection}/${seg(uuid)}`;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const deadline = this.clock.now() + timeoutMs;
    let delay = 500;
    for (;;) {
      try {
        await this.request("GET", path, { signal: opts.signal });
      } catch (e) {
        if (isCoolifyError(e, "not_found")) return;
        throw e;
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) {
        throw new CoolifyError(
          "timeout",
          `The ${kind} ${uuid} still exists ${Math.round(timeoutMs / 1000)} s after its deletion was requested. ` +
            `Coolify deletes in a background job: check that the Coolify queue worker is running and the ` +
            `deletion did not fail (Coolify UI -> the resource), then run again.`,
          { method: "GET", path },
        );
      }
      await this.clock.sleep(Math.min(delay, remaining), opts.signal);
      delay = Math.min(5_000, delay * 2);
    }
  }
}

function hasCode(e: unknown, codes: string[]): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === "object"; depth++) {
    const c = cur as { code?: unknown; cause?: unknown };
    if (typeof c.code === "string" && codes.includes(c.code)) return true;
    cur = c.cause;
  }
  return false;
}

/**
 * undici errors can carry the request options (headers included) on some paths; keep only the
 * message and code so nothing that held the Authorization header travels in an error's cause.
 */
function sanitiseCause(e: unknown): unknown {
  if (!e || typeof e !== "object") return e;
  const src = e as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  const out = new Error(typeof src.message === "string" ? src.message : String(e)) as Error & {
    code?: string;
  };
  if (typeof src.name === "string") out.name = src.name;
  const code =
    typeof src.code === "string"
      ? src.code
      : src.cause &&
          typeof src.cause === "object" &&
          typeof (src.cause as { code?: unknown }).code === "string"
        ? ((src.cause as { code: string }).code as string)
        : undefined;
  if (code) out.code = code;
  return out;
}
