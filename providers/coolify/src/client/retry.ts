/** Retry policy: which outcomes are retried, and how long to wait. */

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * GET is safe; DELETE is idempotent here (a repeated DELETE that finds nothing is success). POST
 * and PATCH are never replayed after a 5xx or a dropped connection, because Coolify has no
 * idempotency keys: the first attempt may have been applied (a create would run twice). Callers
 * reconcile such a create by looking the object up by name and ownership marker instead.
 */
export function isSafeMethod(method: HttpMethod): boolean {
  return method === "GET" || method === "DELETE";
}

export const RETRYABLE_GATEWAY_STATUSES = new Set([502, 503, 504]);

/** Connection-level failures worth another attempt (for safe requests only). */
export function isRetryableNetworkError(e: unknown): boolean {
  const codes = new Set([
    "ECONNRESET",
    "ECONNREFUSED",
    "ECONNABORTED",
    "EPIPE",
    "ETIMEDOUT",
    "EAI_AGAIN",
    "ENOTFOUND",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
  ]);
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === "object"; depth++) {
    const c = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof c.code === "string" && codes.has(c.code)) return true;
    if (typeof c.message === "string" && /socket hang up|other side closed/i.test(c.message)) return true;
    cur = c.cause;
  }
  return false;
}

/**
 * Failures before any byte of the request reached the server (connection refused, DNS, connect
 * timeout). Nothing can have been applied, so these are retried for every method.
 */
export function isConnectPhaseError(e: unknown): boolean {
  const codes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === "object"; depth++) {
    const c = cur as { code?: unknown; cause?: unknown };
    if (typeof c.code === "string" && codes.has(c.code)) return true;
    cur = c.cause;
  }
  return false;
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After is either delta-seconds or an HTTP-date. Returns milliseconds from `now`, or undefined. */
export function parseRetryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
