import { CoolifyClient } from "../client/client";
import { credentialsFrom } from "../client/credentials";
import { isCoolifyError } from "../client/errors";

/**
 * Stack config handed to the provider by the engine (`configure`). It is process state, set at
 * run time in the provider process; it is never serialized into `__provider`.
 */
let configured: { url?: string; token?: string } = {};

export function setConfiguredCredentials(c: { url?: string; token?: string }): void {
  configured = { url: c.url || undefined, token: c.token || undefined };
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
    client = new CoolifyClient({ baseUrl: url, token });
    clients.set(key, client);
  }
  return client;
}

/**
 * When Coolify rejects a request in a way an older server would (unknown field, missing route,
 * an answer of another shape), asks for its version: on a Coolify older than 4.2 the user gets
 * "upgrade Coolify" instead of a puzzling field error. One GET, only on such a failure, so the
 * happy path pays nothing.
 */
export async function explainWithVersion(e: unknown): Promise<never> {
  if (
    isCoolifyError(e, "validation") ||
    isCoolifyError(e, "bad_request") ||
    isCoolifyError(e, "bad_response")
  ) {
    try {
      await coolifyClient().assertSupportedVersion();
    } catch (versionError) {
      if (isCoolifyError(versionError, "unsupported_version")) throw versionError;
    }
  }
  throw e;
}
