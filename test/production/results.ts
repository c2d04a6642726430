// Writes bench/production-results.json: what the production-mode test measured, next to the PRD
// targets, so bench/RESULTS.md and agent/README.md can quote one file.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_DIR } from "./podman";

export const RESULTS_FILE = join(REPO_DIR, "bench", "production-results.json");

/**
 * PRD targets (seed): start < 30 s, memory < 1 GB per container, reply < 3 s, WebSocket < 1 s; and
 * the image under 1 GB (the goal of agent/Dockerfile; 1 GB as podman and docker count, 10^9 bytes).
 * The test asserts the image size, and the generous start and memory bounds; the reply and
 * Socket.IO timings are measured and recorded here, not asserted (the machine is shared).
 */
export const TARGETS = {
  imageBytes: 1_000_000_000,
  coldStartMs: 30_000,
  rssBytes: 1024 * 1024 * 1024,
  replyMs: 3_000,
  websocketConnectMs: 1_000,
  websocketReplyMs: 3_000,
};

/** Metrics with a target are reported with `within`; a metric not measured (a failed step) is null. */
export function recordProductionResults(
  results: Record<string, unknown>,
  targets: Record<string, number>,
): void {
  const metric = (name: string) => (typeof results[name] === "number" ? (results[name] as number) : null);
  const report = {
    measuredAt: new Date().toISOString(),
    machine: `${cpus().length} vCPU, ${Math.round(totalmem() / 2 ** 30)} GiB (shared with other work)`,
    imageBytes: metric("imageBytes"),
    coldStartMs: metric("coldStartMs"),
    rssBytes: metric("rssBytes"),
    replyMs: metric("replyMs"),
    websocketConnectMs: metric("websocketConnectMs"),
    websocketReplyMs: metric("websocketReplyMs"),
    stopMs: metric("stopMs"),
    restartColdStartMs: metric("restartColdStartMs"),
    restartKeptMessages: results.restartKeptMessages === true,
    postgres: results.postgres ?? null,
    targets: Object.fromEntries(
      Object.entries(targets).map(([name, bound]) => {
        const value = metric(name);
        return [name, { bound, value, within: value === null ? null : value < bound }];
      }),
    ),
    image: results.image ?? null,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
}
