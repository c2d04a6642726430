/**
 * Coolify normalises domains on write: trims, drops empty entries, lower-cases scheme and host,
 * keeps path case, joins with "," (notes section 5). Inputs are normalised the same way so a
 * stored fqdn never shows up as a diff.
 */
export function normaliseDomain(url: string): string {
  const trimmed = url.trim();
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(trimmed);
  if (!m) return trimmed;
  const [, scheme = "", host = "", rest = ""] = m;
  // A trailing "/" alone means the same URL (Coolify's conflict check ignores it too).
  const tail = rest === "/" ? "" : rest;
  return `${scheme.toLowerCase()}://${host.toLowerCase()}${tail}`;
}

export function parseFqdn(fqdn: string | null | undefined): string[] {
  if (!fqdn) return [];
  return fqdn
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean)
    .map(normaliseDomain);
}

export function joinDomains(domains: readonly string[]): string {
  return domains.map(normaliseDomain).join(",");
}

/** Why a domain is not acceptable, or undefined. Mirrors the server's URL rules (notes 5). */
export function domainProblem(url: string): string | undefined {
  if (/[`$;&|<>()\\\r\n]/.test(url)) return "must not contain ` $ ; & | < > ( ) \\ or line breaks";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an absolute URL such as https://agent.example.com";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    return "must start with http:// or https://";
  if (!parsed.hostname) return "needs a host name";
  return undefined;
}
