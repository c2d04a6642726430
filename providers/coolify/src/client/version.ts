import { CoolifyError } from "./errors";

/**
 * Oldest Coolify this project supports. 4.2.0 made state-changing endpoints POST-only, hides
 * sensitive fields (env values, DB passwords and URLs) from tokens without read:sensitive, and is
 * the first release where the env var flags and domain handling the provider relies on behave as
 * described in notes/coolify-api.md.
 */
export const MIN_COOLIFY_VERSION = "4.2.0";

export interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
  /** e.g. "beta.464"; a pre-release sorts before its release. */
  prerelease?: string;
}

export function parseCoolifyVersion(raw: string): ParsedVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/.exec(raw.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] };
}

export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === undefined) return 1;
  if (b.prerelease === undefined) return -1;
  return a.prerelease.localeCompare(b.prerelease, "en", { numeric: true });
}

/** Throws an "unsupported_version" CoolifyError unless `raw` is MIN_COOLIFY_VERSION or newer. */
export function assertVersionSupported(raw: string, baseUrl: string): void {
  const parsed = parseCoolifyVersion(raw);
  const min = parseCoolifyVersion(MIN_COOLIFY_VERSION) as ParsedVersion;
  if (!parsed) {
    throw new CoolifyError(
      "unsupported_version",
      `Coolify at ${baseUrl} reported the version "${raw.slice(0, 80)}", which is not a version number. ` +
        `This program needs Coolify ${MIN_COOLIFY_VERSION} or newer; check that coolify:url points at Coolify.`,
    );
  }
  if (compareVersions(parsed, min) < 0) {
    throw new CoolifyError(
      "unsupported_version",
      `Coolify at ${baseUrl} is version ${raw.trim()}, older than the ${MIN_COOLIFY_VERSION} this program needs: ` +
        `before 4.2 Coolify returned secrets (env values, database passwords) to every token, accepted GET on ` +
        `deploy/start/stop, and handled env var flags and domains differently. Upgrade Coolify ` +
        `(Settings -> Update in the Coolify UI).`,
    );
  }
}
