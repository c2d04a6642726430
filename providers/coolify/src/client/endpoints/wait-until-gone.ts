// Waiting for a queued delete to finish (notes 4.5.4).
import { CoolifyError, isCoolifyError } from "../errors";
import type { Transport } from "../transport";
import { seg } from "./encode";

export type GoneKind = "application" | "database" | "project";

/**
 * Coolify deletes are queued jobs: poll GET until 404. Backoff from 0.5 s to a 5 s cap; each
 * poll is one request against the shared rate limit.
 */
export async function waitUntilGone(
  t: Transport,
  kind: GoneKind,
  uuid: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const collection = { application: "applications", database: "databases", project: "projects" }[kind];
  if (!collection) throw new CoolifyError("configuration", `Unknown resource kind "${String(kind)}".`);
  const path = `/${collection}/${seg(uuid)}`;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const deadline = t.clock.now() + timeoutMs;
  let delay = 500;
  for (;;) {
    try {
      await t.request("GET", path, { signal: opts.signal });
    } catch (e) {
      if (isCoolifyError(e, "not_found")) return;
      throw e;
    }
    const remaining = deadline - t.clock.now();
    if (remaining <= 0) {
      throw new CoolifyError(
        "timeout",
        `The ${kind} ${uuid} still exists ${Math.round(timeoutMs / 1000)} s after its deletion was requested. ` +
          `Coolify deletes in a background job: check that the Coolify queue worker is running and the ` +
          `deletion did not fail (Coolify UI -> the resource), then run again.`,
        { method: "GET", path },
      );
    }
    await t.clock.sleep(Math.min(delay, remaining), opts.signal);
    delay = Math.min(5_000, delay * 2);
  }
}
