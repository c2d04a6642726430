/**
 * What a failed or unhealthy deployment's error shows, so the user does not have to open
 * Coolify to find out why: the deployment's id and link, the tail of its log, and the tail of
 * the application's log, every secret masked (mask.ts).
 */
import type { CoolifyClient } from "../client/client";
import { maskSecrets } from "./mask";

/** How a deployment can fail to become a version that passed. */
export type FailureKind = "failed" | "unhealthy" | "smoke test" | "timeout";

/** A deployment that did not end running:healthy (and answering), with what it left to read. */
export class DeployFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    /** "failed", "ended unhealthy: ...", ...: completes "Deployment <uuid> of application <app> ". */
    readonly what: string,
    readonly deploymentUuid: string | undefined,
    /** The deployment record as last read, when there is one. */
    readonly deployment?: Record<string, unknown>,
  ) {
    super(what);
    this.name = "DeployFailure";
  }
}

/** The last `lines` visible entries of a deployment's log, or why there are none. */
export function deploymentLogTail(deployment: Record<string, unknown> | undefined, lines: number): string {
  const raw = deployment?.logs;
  if (typeof raw !== "string" || !raw) {
    return "(the deployment log is hidden: a token with read:sensitive or root shows it here)";
  }
  let entries: string[];
  try {
    // Coolify stores the log as a JSON-encoded array of {output, type, hidden, ...} entries.
    const parsed = JSON.parse(raw) as { output?: string; hidden?: boolean }[];
    entries = parsed.filter((e) => !e.hidden && e.output).map((e) => String(e.output));
  } catch {
    entries = raw.split("\n");
  }
  return entries.slice(-lines).join("\n");
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

/**
 * The logs worth reading for a failure, masked: the deployment's own log when it failed or hung
 * (the build or pull went wrong), and the application's log (what the container printed). Coolify
 * answers 400 for the latter when no container runs; then the message says so.
 */
export async function diagnose(
  client: CoolifyClient,
  f: DeployFailure,
  o: { applicationUuid: string; lines: number; secrets: readonly string[] },
): Promise<string> {
  if (o.lines <= 0) return "";
  const parts: string[] = [];
  if (f.kind === "failed" || f.kind === "timeout") {
    parts.push(
      `Last lines of the log of deployment ${f.deploymentUuid}:\n${indent(deploymentLogTail(f.deployment, o.lines))}`,
    );
  }
  let appLog: string;
  try {
    const logs = await client.getApplicationLogs(o.applicationUuid, o.lines);
    appLog =
      logs === null
        ? "  (none: Coolify says the application is not running, so it has no container whose log to show)"
        : logs.trim()
          ? indent(logs)
          : "  (the container has printed nothing)";
  } catch (e) {
    appLog = `  (could not be read: ${(e as Error).message})`;
  }
  parts.push(`Last ${o.lines} lines of the application's log:\n${appLog}`);
  return maskSecrets(parts.join("\n"), o.secrets);
}

/** Where the user reads the whole story: the deployment's page in Coolify, and the API paths. */
export function whereToLook(client: CoolifyClient, applicationUuid: string, f: DeployFailure): string {
  const url = typeof f.deployment?.deployment_url === "string" ? f.deployment.deployment_url : undefined;
  const page = url ? `${client.baseUrl.replace(/\/+$/, "")}${url}` : undefined;
  const id = f.deploymentUuid ?? "(none)";
  return (
    `Full logs: ${page ? `${page} (Coolify's page of deployment ${id})` : `Coolify > the application > Deployments > ${id}`}, ` +
    `or GET /api/v1/deployments/${id} and GET /api/v1/applications/${applicationUuid}/logs.`
  );
}
