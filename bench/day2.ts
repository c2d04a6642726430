// The Coolify API requests each day-2 operation costs, counted on the day-2 demo's own run
// (scripts/demo/day2.ts: the dev stack through the real pulumi CLI on the simulator, a real S3
// server and a real PostgreSQL behind its database). Every `pulumi up` also pays the preflight
// (GET /version) and the deploy-ability probe (POST /deploy of no application, 404).
import { runDay2 } from "../scripts/demo/day2";

export interface Day2Operation {
  /** The demo's step word: backup, restore, stopped, started, storage, rolled back. */
  operation: string;
  requests: number;
  /** "METHOD /path" with ids as {id}, and how often. */
  byRequest: Record<string, number>;
  /** The step's line in the demo. */
  line: string;
}

/** /api/v1/applications/<24-char id>/envs -> /applications/{id}/envs */
export function requestKind(request: string): string {
  return request
    .replace("/api/v1", "")
    .replace(/\/[a-z0-9]{24}(?=\/|$)/g, "/{id}")
    .replace(/\?.*$/, "");
}

export async function day2Costs(): Promise<{ operations: Day2Operation[]; failed: boolean }> {
  const operations: Day2Operation[] = [];
  const lines: string[] = [];
  const before = process.exitCode;
  await runDay2({
    verbose: false,
    say: (line) => lines.push(line),
    onStep: (operation, requests) => {
      const byRequest: Record<string, number> = {};
      for (const r of requests.map(requestKind)) byRequest[r] = (byRequest[r] ?? 0) + 1;
      operations.push({ operation, requests: requests.length, byRequest, line: "" });
    },
  });
  const failed = process.exitCode === 1 && before !== 1;
  // The lines are in the same order as the steps that reported requests (each such step prints one).
  const stepLines = lines.filter((l) => operations.some((o) => l.startsWith(`${o.operation}: `)));
  operations.forEach((o, i) => {
    o.line = stepLines[i] ?? "";
  });
  if (failed) process.exitCode = before;
  return { operations, failed };
}
