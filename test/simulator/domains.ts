// Domain handling for applications (notes section 5, P7-P12).
import type { Store } from "./state";

const FORBIDDEN = /[`$;&|<>()\\\r\n]/;

export interface ParsedDomains {
  urls: string[];
  errors: string[];
}

/**
 * Normalise a comma-separated `domains` string: trim, drop empty entries, lower-case scheme and
 * host, keep path/query/fragment case, join with "," (notes section 5). Invalid entries give the
 * 422 shape (c) messages.
 */
export function parseDomains(input: string): ParsedDomains {
  const urls: string[] = [];
  const errors: string[] = [];
  for (const part of input.split(",")) {
    const entry = part.trim();
    if (!entry) continue;
    if (FORBIDDEN.test(entry) || entry.length > 2048) {
      errors.push(`Invalid URL: ${entry}`);
      continue;
    }
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]+)(.*)$/.exec(entry);
    if (!m) {
      errors.push(`Invalid URL: ${entry}`);
      continue;
    }
    const scheme = (m[1] ?? "").toLowerCase();
    const authority = (m[2] ?? "").toLowerCase();
    if (scheme !== "http" && scheme !== "https") {
      errors.push(`Invalid URL scheme: ${scheme} for URL: ${entry}. Only http and https are supported.`);
      continue;
    }
    try {
      new URL(`${scheme}://${authority}`);
    } catch {
      errors.push(`Invalid URL: ${entry}`);
      continue;
    }
    urls.push(`${scheme}://${authority}${m[3] ?? ""}`);
  }
  return { urls, errors };
}

export interface DomainConflict {
  domain: string;
  resource_name: string;
  resource_uuid: string;
  resource_type: "application" | "service" | "instance";
  message: string;
}

const bare = (u: string) => u.replace(/\/+$/, "");

/** Exact match of each normalised URL (trailing "/" ignored) team-wide, excluding one app (notes 5). */
export function findConflicts(
  store: Store,
  teamId: number,
  urls: string[],
  excludeUuid?: string,
): DomainConflict[] {
  const conflicts: DomainConflict[] = [];
  const seen = new Set<string>();
  for (const url of urls) {
    const key = bare(url);
    // Duplicate URLs inside one request are reported too.
    if (seen.has(key)) {
      conflicts.push({
        domain: url,
        resource_name: "this request",
        resource_uuid: excludeUuid ?? "",
        resource_type: "application",
        message: `Domain ${url} is duplicated in the request`,
      });
      continue;
    }
    seen.add(key);
    for (const app of store.teamApplications(teamId)) {
      if (app.uuid === excludeUuid || !app.fqdn) continue;
      if (app.fqdn.split(",").some((d) => bare(d.trim()) === key)) {
        conflicts.push({
          domain: url,
          resource_name: app.name,
          resource_uuid: app.uuid,
          resource_type: "application",
          message: `Domain ${url} is already in use by application '${app.name}'`,
        });
      }
    }
  }
  return conflicts;
}

export function conflictBody(conflicts: DomainConflict[]) {
  return {
    message: "Domain conflicts detected. Use force_domain_override=true to proceed.",
    conflicts,
    warning:
      "Using the same domain for multiple resources can cause routing conflicts and unpredictable behavior.",
  };
}
