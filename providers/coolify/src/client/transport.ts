// Sending one request to Coolify: the pooled undici agents, the base URL, the query string, and
// request() with its retry, timeout and 429 rules, the rate budget and the hooks that report them.
// The endpoint methods of CoolifyClient build on request(); nothing here knows an endpoint.
import { Agent, request as undiciRequest } from "undici";
import type { z } from "zod";
import { abortReason, type Clock, realClock } from "./clock";
import { CoolifyError, errorFromResponse, networkError } from "./errors";
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
  /**
   * How long one request may wait in total on 429s that say when to come back (Retry-After),
   * default 600_000 ms. Such waits do not use up maxAttempts: a burst of other tools on the same
   * Coolify user can answer 429 many times in a row, and each says how long to wait.
   */
  maxRateLimitWaitMs?: number;
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

/**
 * Users give the Coolify root or its /api/v1 URL; both work. Userinfo, query and fragment are dropped
 * so nothing secret in the URL reaches a message.
 */
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

/** Undefined values are left out, so callers can pass optional flags as they are. */
function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
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

/** The abort reason of our own per-attempt timeout, told apart from the caller's abort. */
class TimeoutSignal extends Error {}

/** One per CoolifyClient: holds the token and the retry policy, sends requests under /api/v1. */
export class Transport {
  private readonly url: ResolvedUrl;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxRateLimitWaitMs: number;
  private readonly onRequest?: (e: RequestEvent) => void;
  private readonly onWait?: (e: WaitEvent) => void;
  /** The endpoints that poll (waitUntilGone) sleep on the same clock as the retries. */
  readonly clock: Clock;
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
    this.maxRateLimitWaitMs = opts.maxRateLimitWaitMs ?? 600_000;
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

  // Keep the token out of console.log / util.inspect / JSON.stringify of a transport.
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.url.display };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Transport { baseUrl: '${this.url.display}' }`;
  }

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
    // 429s waited out as the server asked: they count against their own budget, not maxAttempts.
    let rateLimitedWaits = 0;
    let rateLimitedMs = 0;

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
      const attemptsLeft = attempt - rateLimitedWaits < this.maxAttempts;

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

      if (status === 429) {
        // The server refused before doing anything, so any method may be sent again.
        const retryAfter = parseRetryAfterMs(outcome.headers["retry-after"], Date.now());
        if (retryAfter !== undefined) this.limiter.pauseUntil(this.clock.now() + retryAfter);
        const asked =
          retryAfter !== undefined &&
          retryAfter <= this.maxRetryAfterMs &&
          rateLimitedMs + retryAfter <= this.maxRateLimitWaitMs;
        if (asked || (retryAfter === undefined && attemptsLeft)) {
          const wait = retryAfter ?? this.backoff(attempt);
          if (asked) {
            rateLimitedWaits++;
            rateLimitedMs += wait;
          }
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
