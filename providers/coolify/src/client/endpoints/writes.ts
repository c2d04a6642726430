// The PATCH and the queued DELETE that projects, applications and databases share.
import type { Transport } from "../transport";
import { withoutUndefined } from "./encode";

/** Sends only the fields given, and nothing when none is: Coolify answers 400 "Empty JSON." to {}. */
export async function patchFields(t: Transport, path: string, body: Record<string, unknown>): Promise<void> {
  const b = withoutUndefined(body);
  if (Object.keys(b).length === 0) return;
  await t.request("PATCH", path, { body: b });
}

/** Coolify only queues the deletion (waitUntilGone waits for it); volumes go only when asked. */
export async function deleteQueued(
  t: Transport,
  path: string,
  opts: { deleteVolumes?: boolean },
): Promise<void> {
  await t.request("DELETE", path, { query: { delete_volumes: opts.deleteVolumes } });
}
