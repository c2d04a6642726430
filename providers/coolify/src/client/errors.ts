/**
 * Typed errors for the Coolify client. Every message says what went wrong and what the user should
 * do about it. No message ever contains the API token: messages are built from the method, the
 * path, the (credential-free) base URL and the server's answer only.
 */

import { isConnectPhaseError } from "./retry";

export type CoolifyErrorCode =
  | "configuration"
  | "unauthorized"
  | "forbidden"
  | "api_disabled"
  | "not_found"
  | "conflict"
  | "validation"
  | "bad_request"
  | "rate_limited"
  | "server"
  | "network"
  | "timeout"
  | "bad_response"
  | "unsupported_version";

export interface CoolifyErrorDetails {
  status?: number;
  method?: string;
  path?: string;
  fieldErrors?: Record<string, string[]>;
  conflicts?: unknown[];
  /** The `message` field of the server's JSON error body, verbatim. */
  serverMessage?: string;
  /** Seconds the server asked us to wait (429), when it said so. */
  retryAfterSeconds?: number;
  /** The ability a 403 named as missing. */
  ability?: string;
  cause?: unknown;
}

export class CoolifyError extends Error {
  readonly code: CoolifyErrorCode;
  readonly status?: number;
  readonly method?: string;
  readonly path?: string;
  readonly fieldErrors?: Record<string, string[]>;
  readonly conflicts?: unknown[];
  readonly serverMessage?: string;
  readonly retryAfterSeconds?: number;
  readonly ability?: string;

  constructor(code: CoolifyErrorCode, message: string, details: CoolifyErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "CoolifyError";
    this.code = code;
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.fieldErrors = details.fieldErrors;
    this.conflicts = details.conflicts;
    this.serverMessage = details.serverMessage;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.ability = details.ability;
  }
}

export function isCoolifyError(e: unknown, code?: CoolifyErrorCode): e is CoolifyError {
  return e instanceof CoolifyError && (code === undefined || e.code === code);
}

export function isNotFound(e: unknown): boolean {
  return isCoolifyError(e, "not_found");
}

/**
 * True for Coolify's 400 "Project has resources, so it cannot be deleted." (and the environment
 * variant): the children's deletes are queued jobs that have not finished yet; retry later.
 */
export function isHasResources(e: unknown): boolean {
  return isCoolifyError(e, "bad_request") && /has resources/i.test(e.serverMessage ?? "");
}

/**
 * The abilities a token needs, per Coolify version: 4.6.0 made every DELETE need `delete`
 * (notes runtime-and-versions.md section 4). Without a known version both cases are named.
 */
export function tokenAbilitiesHelp(version?: string): string {
  const needsDelete = version === undefined ? undefined : deleteAbilityRequired(version);
  const base = "`root`, or read, write and deploy";
  const sensitive = "plus read:sensitive to detect drift in secret values";
  if (needsDelete === true) return `\`root\`, or read, write, deploy and delete, ${sensitive}`;
  if (needsDelete === false) return `${base}, ${sensitive}`;
  return `${base} (and delete on Coolify 4.6 and later), ${sensitive}`;
}

/** True from Coolify 4.6.0 on: every DELETE needs the `delete` ability (or root). */
export function deleteAbilityRequired(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const major = Number(m[1]);
  return major > 4 || (major === 4 && Number(m[2]) >= 6);
}

const TOKEN_HELP =
  `Create a token in Coolify under Keys & Tokens -> API tokens with ${tokenAbilitiesHelp()}; keep its ` +
  "`<id>|` prefix, and set it with `pulumi config set --secret coolify:token <token>` or the COOLIFY_TOKEN " +
  "environment variable.";

const URL_HELP =
  "Check coolify:url (`pulumi config set coolify:url https://coolify.example.com`) or the COOLIFY_URL " +
  "environment variable, and that Coolify is up and reachable from this machine.";

/** Normalises the three 422 `errors` shapes (notes 2.6 a, b, c) into field -> messages. */
export function normaliseFieldErrors(errors: unknown): Record<string, string[]> | undefined {
  if (errors === undefined || errors === null) return undefined;
  if (Array.isArray(errors)) {
    // Shape (c): a bare array. Coolify only sends it from the `domains` URL checks.
    const messages = errors.map((m) => String(m));
    return messages.length > 0 ? { domains: messages } : undefined;
  }
  if (typeof errors === "object") {
    const out: Record<string, string[]> = {};
    for (const [field, value] of Object.entries(errors as Record<string, unknown>)) {
      if (Array.isArray(value)) out[field] = value.map((m) => String(m));
      else if (value !== undefined && value !== null) out[field] = [String(value)];
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return { _: [String(errors)] };
}

/** "application q8w4kc0os4gk0wc8sc4o8ggw" from "/applications/q8w4kc0os4gk0wc8sc4o8ggw/envs". */
export function describeTarget(path: string): string {
  const parts = path.split("?")[0]?.split("/").filter(Boolean) ?? [];
  const [collection, id, sub, subId] = parts;
  const singular: Record<string, string> = {
    applications: "application",
    databases: "database",
    projects: "project",
    deployments: "deployment",
    services: "service",
    servers: "server",
    teams: "team",
  };
  if (!collection) return "resource";
  const kind = singular[collection] ?? collection;
  if (collection === "deployments" && id === "applications" && sub) return `application ${sub}`;
  if (!id) return kind;
  if (collection === "projects" && sub && sub !== "environments" && sub !== "envs") {
    return `environment "${sub}" in project ${id}`;
  }
  if (sub === "envs" && subId && subId !== "bulk") return `environment variable ${subId} of ${kind} ${id}`;
  if (sub === "envs") return `${kind} ${id} (or the environment variable)`;
  return `${kind} ${id}`;
}

/**
 * The 403 for a token without an ability, naming it and, once the server's version is known
 * (explainWithVersion asks for it), what that version needs.
 */
export function missingAbilityMessage(ability: string, where: string, version?: string): string {
  const onVersion = version ? ` on Coolify ${version}` : "";
  const why =
    ability === "delete"
      ? " Coolify 4.6 and later need it for every DELETE: `pulumi destroy`, every replacement, and an `up` " +
        "that removes something (an agent taken out of the stack), so `up` checks it before its first write."
      : ability === "deploy"
        ? " It is needed to deploy, start and stop applications and databases."
        : "";
  return (
    `The API token lacks the \`${ability}\` ability needed for ${where} (403${onVersion}).${why} ` +
    `Give the token ${tokenAbilitiesHelp(version)}: create one in Coolify under Keys & Tokens -> API tokens and ` +
    "set it with `pulumi config set --secret coolify:token <token>` or COOLIFY_TOKEN, then run the same " +
    "command again; nothing was changed by the refused request."
  );
}

interface HttpErrorInput {
  status: number;
  method: string;
  path: string;
  body: unknown;
  bodyText: string;
  retryAfterSeconds?: number;
  attempts: number;
  rateLimitHeader?: string;
}

function serverMessageOf(body: unknown, bodyText: string): string | undefined {
  if (body && typeof body === "object" && "message" in body) {
    const m = (body as { message: unknown }).message;
    if (typeof m === "string") return m;
    if (Array.isArray(m)) return m.map(String).join(" ");
  }
  const trimmed = bodyText.trim();
  // HTML error pages are useless to the user; a short text body is worth showing.
  if (trimmed && trimmed.length <= 300 && !trimmed.startsWith("<")) return trimmed;
  return undefined;
}

/** Maps a non-2xx answer to a CoolifyError with an actionable message. */
export function errorFromResponse(input: HttpErrorInput): CoolifyError {
  const { status, method, path, body } = input;
  const serverMessage = serverMessageOf(body, input.bodyText);
  const where = `${method} ${path}`;
  // Appended inside a parenthesis: `(404 on GET /x; Coolify said "...")`.
  const said = serverMessage ? `; Coolify said "${serverMessage}"` : "";
  const base = { status, method, path, serverMessage };

  if (status === 401) {
    return new CoolifyError(
      "unauthorized",
      `Coolify rejected the API token for ${where} (401${said}): the token is wrong, expired, revoked, or its ` +
        `team no longer exists. ${TOKEN_HELP}`,
      base,
    );
  }

  if (status === 403) {
    const m = serverMessage ?? "";
    if (/API is disabled/i.test(m)) {
      return new CoolifyError(
        "api_disabled",
        `The Coolify API is disabled (403 on ${where}). Enable it in Coolify under Settings -> Advanced -> ` +
          `API Access (new installs start with it off), and check the allowed IPs there (0.0.0.0 allows all).`,
        base,
      );
    }
    if (/not allowed to access the API/i.test(m)) {
      return new CoolifyError(
        "api_disabled",
        `Coolify refuses API calls from this machine's IP address (403 on ${where}). Add the IP to the allow-list ` +
          `in Coolify under Settings -> Advanced -> API Access (0.0.0.0 allows all).`,
        base,
      );
    }
    const missing = /Missing required permissions:\s*(.+)$/i.exec(m);
    if (missing?.[1]) {
      const ability = missing[1].trim().replace(/\.$/, "");
      return new CoolifyError("forbidden", missingAbilityMessage(ability, where), { ...base, ability });
    }
    if (/team role|exceed your current role/i.test(m)) {
      return new CoolifyError(
        "forbidden",
        `The API token's owner is only a member of its Coolify team, and since Coolify 4.2 members may hold ` +
          `read-only tokens only (403 on ${where}${said}). Ask a team admin or owner to create the token, or to ` +
          `make you an admin.`,
        base,
      );
    }
    return new CoolifyError(
      "forbidden",
      `Coolify refused ${where} (403${said}). The token's team may not own this resource, or the token lacks an ` +
        `ability: use a token with ${tokenAbilitiesHelp()}.`,
      base,
    );
  }

  if (status === 404) {
    if (/^Not found\.?$/i.test(serverMessage ?? "") && body && typeof body === "object" && "docs" in body) {
      return new CoolifyError(
        "not_found",
        `Coolify does not know the endpoint ${where} (404). Check that coolify:url points at Coolify itself and ` +
          `that Coolify is 4.2.0 or newer.`,
        base,
      );
    }
    return new CoolifyError(
      "not_found",
      `Coolify has no ${describeTarget(path)} (404 on ${where}${said}).`,
      base,
    );
  }

  if (status === 409) {
    const conflicts =
      body && typeof body === "object" && Array.isArray((body as { conflicts?: unknown }).conflicts)
        ? ((body as { conflicts: unknown[] }).conflicts as unknown[])
        : undefined;
    if (conflicts && conflicts.length > 0) {
      const lines = conflicts.map((c) => {
        const o = (c ?? {}) as Record<string, unknown>;
        const type = typeof o.resource_type === "string" ? o.resource_type : "resource";
        const name = typeof o.resource_name === "string" ? ` "${o.resource_name}"` : "";
        const uuid = typeof o.resource_uuid === "string" ? ` (${o.resource_uuid})` : "";
        return `${String(o.domain ?? "?")} is already used by ${type}${name}${uuid}`;
      });
      return new CoolifyError(
        "conflict",
        `Domain conflict on ${where} (409): ${lines.join("; ")}. Pick another domain, remove it from the other ` +
          `resource, or set forceDomainOverride: true to use it anyway (two resources on one domain route ` +
          `unpredictably).`,
        { ...base, conflicts },
      );
    }
    return new CoolifyError("conflict", `Conflict on ${where} (409${said}).`, base);
  }

  if (status === 422) {
    const errors = body && typeof body === "object" ? (body as { errors?: unknown }).errors : undefined;
    const fieldErrors = normaliseFieldErrors(errors);
    const detail = fieldErrors
      ? Object.entries(fieldErrors)
          .map(([field, msgs]) => `${field}: ${msgs.join(" ")}`)
          .join("; ")
      : (serverMessage ?? "no details given");
    return new CoolifyError("validation", `Coolify rejected the request ${where} (422): ${detail}`, {
      ...base,
      fieldErrors,
    });
  }

  if (status === 429) {
    const wait =
      input.retryAfterSeconds !== undefined
        ? ` It asked to wait ${input.retryAfterSeconds} s (Retry-After).`
        : "";
    const limit = input.rateLimitHeader ? ` The limit is ${input.rateLimitHeader} requests per minute.` : "";
    const queueFull = /queue is full/i.test(serverMessage ?? "");
    const why = queueFull
      ? `Coolify's deployment queue is full (${serverMessage ?? "429"}); wait for running deployments to finish (or raise the server's ` +
        `deployment queue limit) and run again.`
      : `Coolify's API rate limit was exceeded (${serverMessage ?? "429"}). The limit is per user (200 per minute by default, ` +
        `API_RATE_LIMIT on the Coolify instance) and shared by all of that user's tokens and tools; wait a minute ` +
        `and run again, or give this program a smaller share of it: \`pulumi config set coolify:rateLimitPerMinute 100\` ` +
        `(or COOLIFY_RATE_LIMIT_PER_MINUTE).`;
    return new CoolifyError(
      "rate_limited",
      `${where} was still refused with 429 after ${input.attempts} attempt(s). ${why}${wait}${limit}`,
      { ...base, retryAfterSeconds: input.retryAfterSeconds },
    );
  }

  if (status === 400 || status === 405) {
    const hint =
      status === 405
        ? " This endpoint needs a different HTTP method on this Coolify version; Coolify 4.2.0 or newer is required."
        : "";
    return new CoolifyError("bad_request", `Coolify refused ${where} (${status}${said}).${hint}`, base);
  }

  if (status >= 500) {
    const replay =
      method === "POST" || method === "PATCH"
        ? " The change may or may not have been applied; it was not sent again."
        : "";
    return new CoolifyError(
      "server",
      `Coolify failed on ${where} (${status}${said}) after ${input.attempts} attempt(s). Check the Coolify ` +
        `logs and that its proxy and queue worker are running.${replay}`,
      base,
    );
  }

  return new CoolifyError(
    "bad_request",
    `Coolify answered ${where} with an unexpected status (${status}${said}).`,
    base,
  );
}

export function networkError(
  kind: "network" | "timeout",
  input: {
    method: string;
    path: string;
    baseUrl: string;
    attempts: number;
    timeoutMs: number;
    cause: unknown;
  },
): CoolifyError {
  const { method, path, baseUrl, attempts } = input;
  const detail = describeCause(input.cause);
  const mayHaveApplied =
    (method === "POST" || method === "PATCH") && (kind === "timeout" || !isConnectPhaseError(input.cause))
      ? " The request may have reached Coolify before the connection failed; it was not sent again."
      : "";
  const message =
    kind === "timeout"
      ? `Coolify at ${baseUrl} did not answer ${method} ${path} within ${input.timeoutMs} ms ` +
        `(${attempts} attempt(s)). ${URL_HELP}${mayHaveApplied}`
      : `Could not reach Coolify at ${baseUrl} for ${method} ${path} (${detail}; ${attempts} attempt(s)). ` +
        `${URL_HELP}${mayHaveApplied}`;
  return new CoolifyError(kind, message, { method, path, cause: input.cause });
}

function describeCause(cause: unknown): string {
  if (cause && typeof cause === "object") {
    const c = cause as { code?: unknown; message?: unknown; cause?: unknown };
    const inner = c.cause && typeof c.cause === "object" ? (c.cause as { code?: unknown }) : undefined;
    const code =
      typeof inner?.code === "string" ? inner.code : typeof c.code === "string" ? c.code : undefined;
    const msg = typeof c.message === "string" ? c.message : undefined;
    if (code && msg && !msg.includes(code)) return `${code}: ${msg}`;
    return msg ?? code ?? "connection failed";
  }
  return String(cause);
}

export const credentialHelp = { token: TOKEN_HELP, url: URL_HELP };
