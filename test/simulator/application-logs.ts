// GET /applications/{uuid}/logs (Coolify 4.3.11 source, ApplicationsController logs_by_uuid and
// bootstrap/helpers/docker.php normalizeLogLines, parseLogTimestampFlag, getContainerLogs): the
// last lines of the application's container, stdout and stderr merged.
import { onAppPeriod } from "./application-lookup";
import { json, message } from "./http";

/** FILTER_VALIDATE_INT, then: invalid or <= 0 gives 100, at most 10000. */
function logLines(raw: string | null): number {
  if (raw === null || !/^\s*[+-]?\d+\s*$/.test(raw)) return 100;
  const n = Number.parseInt(raw, 10);
  return n <= 0 ? 100 : Math.min(n, 10_000);
}

/** FILTER_VALIDATE_BOOLEAN with FILTER_NULL_ON_FAILURE, null meaning false. */
function timestampsFlag(raw: string | null): boolean {
  return raw !== null && ["1", "true", "on", "yes"].includes(raw.trim().toLowerCase());
}

export const applicationLogs = onAppPeriod((ctx, app) => {
  // No container (never deployed, stopped: stop removes them), or one that is not running.
  const out = ctx.core.runtime.logs(
    app.uuid,
    logLines(ctx.query.get("lines")),
    timestampsFlag(ctx.query.get("show_timestamps")),
  );
  if (out === undefined || app.status.startsWith("exited"))
    return message(400, "Application is not running.");
  return json(200, { logs: out });
});
