// Post-deploy chat smoke test for an ElizaOS 1.7.x server: liveness -> readiness -> find the agent ->
// open a session -> send one message -> expect a non-empty reply within a bound.
//
// It is required lazily inside the Pulumi dynamic provider process, so it must stay free of
// module-level imports other than node built-ins and `import type`, and it uses the global fetch.
//
// API facts it relies on (server 1.7.2; see notes/elizaos.md section 5):
// - GET /healthz: 200 as soon as HTTP listens (public). GET /health: 200 when >= 1 agent runs,
//   503 {status:"DEGRADED"} otherwise (public).
// - /api/* needs `X-API-KEY: <ELIZA_SERVER_AUTH_TOKEN>` when the server has a token; 401 otherwise.
// - POST /api/messaging/sessions {agentId, userId} -> 201 {sessionId}. Sessions live in the server's
//   memory: after a restart (Coolify restarting the container just after the deploy, say) the id
//   answers 404 SESSION_NOT_FOUND, and ChatSession opens a new one and sends again.
// - POST /api/messaging/sessions/:id/messages {content, transport:"http"} (1.7.2) or
//   {mode:"sync"} (1.7.0) blocks until the agent answered -> 201 {agentResponse:{text}}. A model
//   provider failure gives 500 "Failed to process message in HTTP transport" with no detail; the
//   detail (e.g. "Incorrect API key provided") is in GET /api/agents/:id/logs as a run_event error.

import { type ChatResponse, ChatSession, SessionOpenError } from "./chat-session";

export interface SmokeTestOptions {
  /** Server origin, e.g. https://agent.example.com or http://127.0.0.1:3000. */
  baseUrl: string;
  /** ELIZA_SERVER_AUTH_TOKEN of the server, sent as X-API-KEY. */
  authToken?: string;
  /** Agent name (case-insensitive) or id. Default: the only active agent. */
  agentName?: string;
  /** Message to send. */
  message?: string;
  /** Bound for the whole test, including waiting for the server to become ready. Default 180 s. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export interface SmokeTestResult {
  ok: true;
  agentId: string;
  reply: string;
  /** Time from sending the message to having the reply. */
  latencyMs: number;
}

export type SmokeTestFailure =
  | "unreachable"
  | "not_ready"
  | "unauthorized"
  | "agent_missing"
  | "agent_inactive"
  | "model_failed"
  | "no_reply"
  | "unexpected_response";

/** The error runSmokeTest throws; `code` says which step failed, the message says what to do. */
export class SmokeTestError extends Error {
  readonly code: SmokeTestFailure;
  constructor(code: SmokeTestFailure, message: string) {
    super(message);
    this.name = "SmokeTestError";
    this.code = code;
  }
}

export const DEFAULT_SMOKE_MESSAGE = "ping - reply with the word pong";
const DEFAULT_TIMEOUT_MS = 180_000;
const POLL_INTERVAL_MS = 1_000;
const INIT_RETRY_WINDOW_MS = 20_000;
const INIT_RETRY_PAUSE_MS = 1_000;

interface AgentSummary {
  id: string;
  name: string;
  status?: string;
}

type HttpResult = ChatResponse;

export async function runSmokeTest(opts: SmokeTestOptions): Promise<SmokeTestResult> {
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const message = opts.message ?? DEFAULT_SMOKE_MESSAGE;
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.authToken) headers["x-api-key"] = opts.authToken;

  const request = async (method: string, path: string, body?: unknown): Promise<HttpResult> => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new DeadlineError();
    const init: RequestInit = {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      signal: AbortSignal.timeout(remaining),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, init);
    } catch (error) {
      if (isAbort(error)) throw new DeadlineError();
      throw new UnreachableError(describeNetworkError(error));
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (isAbort(error)) throw new DeadlineError();
      throw new UnreachableError(describeNetworkError(error));
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy error page, for instance): keep the text.
    }
    return { status: response.status, body: parsed, text };
  };

  const within = `${Math.round(timeoutMs / 1000)} s`;

  // 1. Liveness: the process listens and the proxy routes to it.
  await pollUntil(
    async () => {
      const res = await request("GET", "/healthz");
      if (res.status === 200) return true;
      // Servers before 1.7.0 have no /healthz; any HTTP answer from the app proves liveness.
      if (res.status === 404) return true;
      return `GET /healthz answered ${res.status} ${snippet(res.text)}`;
    },
    deadline,
    (last) =>
      last.unreachable
        ? new SmokeTestError(
            "unreachable",
            `Cannot reach the ElizaOS server at ${baseUrl} within ${within} (${last.reason}). Check that the ` +
              "container is running, that its port (SERVER_PORT, 3000) is exposed, and that the domain and " +
              "proxy route to it.",
          )
        : new SmokeTestError(
            "not_ready",
            `The ElizaOS server at ${baseUrl} is not live within ${within}: ${last.reason}. A 502/503/504 ` +
              "usually means the proxy has no healthy container behind it yet; check the container logs.",
          ),
  );

  // 2. Readiness: at least one agent started.
  await pollUntil(
    async () => {
      const res = await request("GET", "/health");
      if (res.status === 200 || res.status === 404) return true;
      const detail = isRecord(res.body)
        ? `status ${String(res.body.status)}, agents ${String(dig(res.body, "dependencies", "agents"))}`
        : snippet(res.text);
      return `GET /health answered ${res.status} (${detail})`;
    },
    deadline,
    (last) =>
      new SmokeTestError(
        last.unreachable ? "unreachable" : "not_ready",
        `The ElizaOS server at ${baseUrl} is up but not ready within ${within}: ${last.reason}. No agent ` +
          "is running: the project build, a plugin, the character or the database failed at start. Read the " +
          "server log for the first error (for example 'Database migration failed' when POSTGRES_URL points " +
          "at a Postgres without the vector extension).",
      ),
  );

  // 3. Find the agent.
  const slow = (what: string) => () =>
    new SmokeTestError("not_ready", `The server did not answer in time to ${what} (bound ${within}).`);
  const agents = await step(
    "list the agents",
    async () => {
      const res = await request("GET", "/api/agents");
      if (res.status === 401 || res.status === 403) throw unauthorized(res, opts.authToken);
      if (res.status !== 200) throw unexpected("GET /api/agents", res);
      const list = dig(res.body, "data", "agents");
      if (!Array.isArray(list)) throw unexpected("GET /api/agents", res);
      return list.filter(isAgentSummary);
    },
    slow("list the agents"),
  );
  const agent = pickAgent(agents, opts.agentName);

  // 4. Open a session (a DM channel between a throwaway user and the agent).
  const session = new ChatSession(request, agent.id);
  const userId = session.userId;
  // A session the server refused to open (here, or again after a restart lost the first one).
  const openFailure = (error: unknown): unknown => {
    if (!(error instanceof SessionOpenError)) return error;
    const res = error.response;
    return res.status === 401 || res.status === 403
      ? unauthorized(res, opts.authToken)
      : unexpected("POST /api/messaging/sessions", res);
  };
  await step(
    "open a session",
    () =>
      session.open().catch((error: unknown) => {
        throw openFailure(error);
      }),
    slow("open a session"),
  );

  // 5. Send one message and wait for the reply.
  const sentAt = Date.now();
  const noReply = () =>
    new SmokeTestError(
      "no_reply",
      `Agent "${agent.name}" did not reply within ${within} (waited ${Math.round((Date.now() - sentAt) / 1000)} s ` +
        "after sending the message). The model provider may be slow or unreachable from the server; raise " +
        "the timeout or check the server log.",
    );
  try {
    const reply = await step(
      "send the message",
      async () => {
        // /health turns 200 once the agent is registered, which with a remote Postgres can be a moment
        // before its runtime finished initialising ("Agent entity ... not found" -> a 500 and nothing in
        // the agent's log). Such a 500 is retried for a short while; a logged provider error is not.
        const retryUntil = Math.min(deadline, Date.now() + INIT_RETRY_WINDOW_MS);
        for (;;) {
          const posted = await session
            .post({ content: message, transport: "http", mode: "sync" })
            .catch((error: unknown) => {
              throw openFailure(error);
            });
          const res = posted.response;
          if (res.status === 401 || res.status === 403) throw unauthorized(res, opts.authToken);
          if (res.status >= 500) {
            const cause = await providerError(request, agent.id, userId);
            if (!cause && Date.now() + INIT_RETRY_PAUSE_MS < retryUntil) {
              await new Promise((resolve) => setTimeout(resolve, INIT_RETRY_PAUSE_MS));
              continue;
            }
            throw new SmokeTestError(
              "model_failed",
              `Agent "${agent.name}" failed to answer: the server said ${res.status} ${serverMessage(res)}` +
                (cause ? `; the agent's log says: "${cause}". ` : ". The server log has the cause. ") +
                "This is usually the model provider: check its API key (e.g. OPENAI_API_KEY), its base URL " +
                "(e.g. OPENAI_BASE_URL) and the model names, and that the container can reach the provider.",
            );
          }
          if (res.status !== 201 && res.status !== 200) throw unexpected("POST session message", res);
          const text = dig(res.body, "agentResponse", "text");
          if (typeof text === "string" && text.trim()) return text.trim();
          if (dig(res.body, "agentResponse") === undefined) {
            // A server without the synchronous transport returns at once: poll the session instead.
            return await pollForReply(request, posted.sessionId, sentAt, deadline);
          }
          throw new SmokeTestError(
            "no_reply",
            `Agent "${agent.name}" accepted the message but returned no reply text (it chose ` +
              `${JSON.stringify(dig(res.body, "agentResponse", "actions") ?? "no action")}). Check the ` +
              "character's system prompt and the model's output in the server log.",
          );
        }
      },
      noReply,
    );
    return { ok: true, agentId: agent.id, reply, latencyMs: Date.now() - sentAt };
  } finally {
    // Sessions live in server memory; free this one. Best effort, outside the deadline.
    void fetchImpl(`${baseUrl}/api/messaging/sessions/${session.sessionId}`, {
      method: "DELETE",
      headers,
      signal: AbortSignal.timeout(5_000),
    })
      .then((res) => res.body?.cancel())
      .catch(() => undefined);
  }

  function pickAgent(list: AgentSummary[], wanted: string | undefined): AgentSummary {
    const known = list.length
      ? list.map((a) => `"${a.name}" (${a.id}, ${a.status ?? "unknown"})`).join(", ")
      : "none";
    let found: AgentSummary | undefined;
    if (wanted) {
      const key = wanted.trim().toLowerCase();
      found = list.find((a) => a.id.toLowerCase() === key) ?? list.find((a) => a.name.toLowerCase() === key);
      if (!found) {
        throw new SmokeTestError(
          "agent_missing",
          `No agent named "${wanted}" on ${baseUrl}. Agents on the server: ${known}. Check the character's ` +
            "name and that its file is in the image (AGENT_CHARACTERS / CHARACTERS_DIR).",
        );
      }
    } else {
      const active = list.filter((a) => a.status === "active");
      found = active[0] ?? list[0];
      if (!found) {
        throw new SmokeTestError(
          "agent_missing",
          `The server at ${baseUrl} has no agents. Check that the image contains the character files.`,
        );
      }
    }
    if (found.status && found.status !== "active") {
      throw new SmokeTestError(
        "agent_inactive",
        `Agent "${found.name}" (${found.id}) exists but is ${found.status}. Agents on the server: ${known}. ` +
          "Start it (POST /api/agents/<id>/start) or read the server log for why it stopped.",
      );
    }
    return found;
  }
}

// --- helpers (module-private) ---------------------------------------------------------------

class DeadlineError extends Error {}

class UnreachableError extends Error {}

type Request = (method: string, path: string, body?: unknown) => Promise<HttpResult>;

interface LastAttempt {
  reason: string;
  unreachable: boolean;
}

/** Calls `probe` until it returns true or the deadline passes; a string is the reason it is not there yet. */
async function pollUntil(
  probe: () => Promise<true | string>,
  deadline: number,
  fail: (last: LastAttempt) => SmokeTestError,
): Promise<void> {
  let last: LastAttempt = { reason: "no attempt made", unreachable: false };
  for (;;) {
    try {
      const result = await probe();
      if (result === true) return;
      last = { reason: result, unreachable: false };
    } catch (error) {
      if (error instanceof UnreachableError) last = { reason: error.message, unreachable: true };
      else if (!(error instanceof DeadlineError)) throw error;
    }
    const wait = Math.min(POLL_INTERVAL_MS, deadline - Date.now());
    if (wait <= 0) throw fail(last);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Runs one request step; network and deadline failures become SmokeTestErrors. */
async function step<T>(what: string, run: () => Promise<T>, onDeadline: () => SmokeTestError): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UnreachableError) {
      throw new SmokeTestError(
        "unreachable",
        `Lost the connection to the ElizaOS server while trying to ${what}: ${error.message}.`,
      );
    }
    if (error instanceof DeadlineError) throw onDeadline();
    throw error;
  }
}

async function pollForReply(
  request: Request,
  sessionId: string,
  sentAt: number,
  deadline: number,
): Promise<string> {
  for (;;) {
    const res = await request(
      "GET",
      `/api/messaging/sessions/${sessionId}/messages?after=${sentAt - 1}&limit=20`,
    );
    const messages = dig(res.body, "messages");
    if (Array.isArray(messages)) {
      for (const item of messages) {
        if (!isRecord(item) || item.isAgent !== true) continue;
        const content = item.content;
        const text = typeof content === "string" ? content : dig(content, "text");
        if (typeof text === "string" && text.trim()) return text.trim();
      }
    }
    if (Date.now() + POLL_INTERVAL_MS >= deadline) throw new DeadlineError();
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** The model provider's error as the agent logged it for this user's message, if the server exposes it. */
async function providerError(request: Request, agentId: string, userId: string): Promise<string | undefined> {
  try {
    const res = await request("GET", `/api/agents/${agentId}/logs?type=run_event&count=20`);
    const logs = dig(res.body, "data");
    if (!Array.isArray(logs)) return undefined;
    for (const log of logs) {
      const body = dig(log, "body");
      if (!isRecord(body) || typeof body.error !== "string") continue;
      if (body.entityId === undefined || body.entityId === userId) return body.error;
    }
  } catch {
    // The detail is a bonus; the caller's message stands without it.
  }
  return undefined;
}

function unauthorized(res: HttpResult, token: string | undefined): SmokeTestError {
  return new SmokeTestError(
    "unauthorized",
    `The ElizaOS server rejected the API key (${res.status} ${serverMessage(res)}). ` +
      (token
        ? "The token given does not match the server's ELIZA_SERVER_AUTH_TOKEN; pass the same value."
        : "The server has ELIZA_SERVER_AUTH_TOKEN set; pass that value as the auth token (X-API-KEY)."),
  );
}

function unexpected(what: string, res: HttpResult): SmokeTestError {
  return new SmokeTestError(
    "unexpected_response",
    `${what} answered ${res.status}: ${snippet(res.text)}. Is this an ElizaOS 1.7 server?`,
  );
}

function serverMessage(res: HttpResult): string {
  const body = res.body;
  const candidates = [
    dig(body, "error", "message"),
    dig(body, "message"),
    dig(body, "error"),
    typeof body === "string" ? body : undefined,
  ];
  const found = candidates.find((c): c is string => typeof c === "string" && c.length > 0);
  return JSON.stringify(found ?? snippet(res.text));
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const code = dig(cause, "code") ?? dig(error, "code");
  const message = error instanceof Error ? error.message : String(error);
  const causeMessage = cause instanceof Error ? cause.message : undefined;
  return [typeof code === "string" ? code : undefined, causeMessage ?? message].filter(Boolean).join(": ");
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "AbortError" || name === "TimeoutError";
}

function isAgentSummary(value: unknown): value is AgentSummary {
  return isRecord(value) && typeof value.id === "string" && typeof value.name === "string";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function dig(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat || "(empty body)";
}
