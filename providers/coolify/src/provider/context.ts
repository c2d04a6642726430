import { CoolifyClient } from "../client/client";
import { credentialsFrom } from "../client/credentials";
import { CoolifyError, deleteAbilityRequired, isCoolifyError, missingAbilityMessage } from "../client/errors";
import { tellWait } from "./notify";
import { providerClock } from "./poll";

/**
 * Stack config handed to the provider by the engine (`configure`). It is process state, set at
 * run time in the provider process; it is never serialized into `__provider`.
 */
export interface ProviderSettings {
  url?: string;
  token?: string;
  /** coolify:rateLimitPerMinute, as text: this program's share of the token owner's budget. */
  rateLimitPerMinute?: string;
}

let configured: ProviderSettings = {};

export function setConfiguredCredentials(c: ProviderSettings): void {
  configured = {
    url: c.url || undefined,
    token: c.token || undefined,
    rateLimitPerMinute: c.rateLimitPerMinute || undefined,
  };
}

/** Coolify's default limit per user; the client keeps some of it for other tools by default. */
export const COOLIFY_DEFAULT_RATE_LIMIT = 200;
export const DEFAULT_CLIENT_RATE_LIMIT = 150;

/**
 * The requests per minute this program may send: COOLIFY_RATE_LIMIT_PER_MINUTE, else
 * coolify:rateLimitPerMinute, else 150 of Coolify's default 200 (other tools of the same user
 * share the limit). Raise it to what the instance allows when nothing else uses the token's user.
 */
export function rateLimitPerMinute(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.COOLIFY_RATE_LIMIT_PER_MINUTE?.trim();
  const raw = fromEnv || configured.rateLimitPerMinute?.trim();
  if (!raw) return DEFAULT_CLIENT_RATE_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    const where = fromEnv ? "COOLIFY_RATE_LIMIT_PER_MINUTE" : "coolify:rateLimitPerMinute";
    throw new CoolifyError(
      "configuration",
      `${where} is "${raw.slice(0, 40)}", not a whole number of requests per minute. Coolify allows ` +
        `${COOLIFY_DEFAULT_RATE_LIMIT} per minute per user by default (API_RATE_LIMIT on the instance); set ` +
        "it to the share this program may use, e.g. `pulumi config set coolify:rateLimitPerMinute 150`.",
    );
  }
  return n;
}

const clients = new Map<string, CoolifyClient>();

/**
 * The client for the current credentials. COOLIFY_URL / COOLIFY_TOKEN win over stack config and
 * are read on every call, so a rotated token works for refresh and destroy too. One client per
 * (url, token) per process keeps the keep-alive pool and the rate-limit budget shared.
 */
export function coolifyClient(): CoolifyClient {
  const { url, token } = credentialsFrom(configured);
  const key = `${url}\n${token}`;
  let client = clients.get(key);
  if (!client) {
    client = new CoolifyClient({
      baseUrl: url,
      token,
      rateLimitPerMinute: rateLimitPerMinute(),
      clock: providerClock(),
      onWait: (e) => tellWait(e),
    });
    clients.set(key, client);
  }
  return client;
}

/** Per client, the server's version: asked at most once per provider process. */
const versions = new Map<CoolifyClient, Promise<string>>();

/**
 * The server's version (GET /version, which also proves the URL, the token and the API gate),
 * refusing a Coolify older than 4.2. Memoised per client; a failed attempt is forgotten, so a
 * passing network fault does not stick.
 */
export function serverVersion(client: CoolifyClient = coolifyClient()): Promise<string> {
  let v = versions.get(client);
  if (!v) {
    v = client.assertSupportedVersion();
    versions.set(client, v);
    v.catch(() => versions.delete(client));
  }
  return v;
}

/**
 * Called before the first resource is checked, in previews too: a preview otherwise makes no
 * request at all, so a wrong URL, a rotated token or a disabled API would show a green check on
 * a pull request for a stack that fails at `up`. One request per provider process.
 */
export async function preflight(): Promise<void> {
  await serverVersion();
}

// A uuid no Coolify object can have (Coolify's are 24 lowercase letters and digits), so the
// probes below are refused or answered 404 and never change anything.
const PROBE_UUID = "eliza-coolify-ability-check";

const abilityChecks = new Map<CoolifyClient, Map<string, Promise<void>>>();

/**
 * Forgets what this process has checked (version, abilities), as a new provider process would
 * start: each pulumi command runs one. For the benchmarks, which count what a command costs.
 */
export function forgetChecks(): void {
  versions.clear();
  abilityChecks.clear();
}

/**
 * Forgets the clients too (their rate budgets), as a new provider process starts with none; their
 * keep-alive pools close when idle. For the benchmarks, which run one command after another.
 */
export function forgetClients(): void {
  forgetChecks();
  clients.clear();
}

/**
 * Finds out before the first write whether the token holds an ability, with a request that
 * needs the ability but changes nothing: Coolify checks abilities before it looks the target
 * up, so the probe answers 403 without the ability and 404 with it. A token without `deploy`
 * is then refused before anything is created, instead of after the project, the database, the
 * applications and their variables. Once per ability per process.
 */
export function ensureAbility(ability: "deploy" | "delete"): Promise<void> {
  const client = coolifyClient();
  let checks = abilityChecks.get(client);
  if (!checks) {
    checks = new Map();
    abilityChecks.set(client, checks);
  }
  let check = checks.get(ability);
  if (!check) {
    check = probeAbility(client, ability);
    checks.set(ability, check);
    check.catch(() => checks.delete(ability));
  }
  return check;
}

async function probeAbility(client: CoolifyClient, ability: "deploy" | "delete"): Promise<void> {
  if (ability === "delete" && !deleteAbilityRequired(await serverVersion(client))) return;
  try {
    if (ability === "deploy") await client.request("POST", "/deploy", { query: { uuid: PROBE_UUID } });
    else await client.request("DELETE", `/applications/${PROBE_UUID}`);
  } catch (e) {
    if (isCoolifyError(e, "not_found")) return;
    // The probe's path means nothing to the user: say what it stands for.
    const stands = ability === "deploy" ? "POST /deploy" : "every DELETE";
    if (isCoolifyError(e, "forbidden") && e.ability)
      throw await withVersion(
        e,
        `${stands} (checked before the first write, by a request that changes nothing)`,
      );
    throw e;
  }
}

/** Errors withVersion has already rewritten: explainWithVersion passes them on as they are. */
const explained = new WeakSet<CoolifyError>();

/** A missing-ability 403 rewritten with the server's version and what that version needs. */
async function withVersion(e: CoolifyError, where = `${e.method} ${e.path}`): Promise<CoolifyError> {
  if (explained.has(e)) return e;
  let version: string | undefined;
  try {
    version = await serverVersion();
  } catch {
    return e; // the version is a hint; the 403 itself is the error
  }
  const rewritten = new CoolifyError(
    "forbidden",
    missingAbilityMessage(e.ability as string, where, version),
    {
      status: e.status,
      method: e.method,
      path: e.path,
      serverMessage: e.serverMessage,
      ability: e.ability,
    },
  );
  explained.add(rewritten);
  return rewritten;
}

/**
 * When Coolify rejects a request in a way an older server would (unknown field, missing route,
 * an answer of another shape), asks for its version: on a Coolify older than 4.2 the user gets
 * "upgrade Coolify" instead of a puzzling field error. A missing ability is explained with the
 * version too (4.6 added `delete`). One GET, only on such a failure (or none, when the preflight
 * already asked), so the happy path pays nothing.
 */
export async function explainWithVersion(e: unknown): Promise<never> {
  if (isCoolifyError(e, "forbidden") && e.ability) throw await withVersion(e);
  if (
    isCoolifyError(e, "validation") ||
    isCoolifyError(e, "bad_request") ||
    isCoolifyError(e, "bad_response")
  ) {
    try {
      await serverVersion();
    } catch (versionError) {
      if (isCoolifyError(versionError, "unsupported_version")) throw versionError;
    }
  }
  throw e;
}
