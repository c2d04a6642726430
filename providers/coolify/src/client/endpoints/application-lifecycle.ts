// An application's logs and its rollback (Coolify 4.3.11: ApplicationsController logs_by_uuid,
// rollback_by_uuid).
import { isCoolifyError } from "../errors";
import { ApplicationLogsSchema, RollbackResponseSchema } from "../schemas";
import type { Transport } from "../transport";
import { seg } from "./encode";

/**
 * The last `lines` lines of the application's container (stdout and stderr), or null when no
 * container runs: Coolify answers 400 "Application is not running." then (a stopped
 * application's containers are removed, so its logs are gone with them).
 */
export async function getApplicationLogs(
  t: Transport,
  appUuid: string,
  lines: number,
): Promise<string | null> {
  try {
    const r = await t.request("GET", `/applications/${seg(appUuid)}/logs`, {
      query: { lines },
      schema: ApplicationLogsSchema,
    });
    return r.logs;
  } catch (e) {
    if (isCoolifyError(e, "bad_request") && /not running/i.test(e.serverMessage ?? "")) return null;
    throw e;
  }
}

/**
 * Queues a deployment of `commit` (`rollback: true` on the record). Only git applications are
 * rolled back by it: a dockerimage application redeploys its stored tag whatever the commit, so
 * for those the caller sets the tag and deploys instead.
 */
export async function rollbackApplication(
  t: Transport,
  appUuid: string,
  commit: string,
): Promise<{ deploymentUuid: string | null; message: string }> {
  const r = await t.request("POST", `/applications/${seg(appUuid)}/rollback`, {
    body: { commit },
    schema: RollbackResponseSchema,
  });
  return { deploymentUuid: r.deployment_uuid ?? null, message: r.message ?? "" };
}
