/**
 * Masking of secrets in text this program shows the user: the application's and the
 * deployment's logs quoted in an error. An agent that prints its database URL or its model key
 * on a crash must not put them in CI logs through us.
 *
 * Two layers: the secret values the caller knows (the agent's secret env values, given to the
 * Deployment as a Pulumi secret input), replaced wherever they appear, and shapes that are
 * secrets whatever their value (the password in a URL, a bearer token, `...KEY=value`, well-known
 * token formats), for what the program does not know about.
 */

export const MASK = "****";

/** Values shorter than this are not masked by value: "1" or "true" would mask half a log. */
const MIN_VALUE_LENGTH = 6;

const SHAPES: [RegExp, string][] = [
  // scheme://user:password@host -> scheme://user:****@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi, `$1${MASK}$3`],
  // Authorization: Bearer <token>, Basic <credentials>
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1$2${MASK}`],
  // NAME=value, NAME: value, "name": "value" where the name says it is secret
  [
    /((?:[A-Za-z0-9_.-]*(?:api[_-]?key|token|secret|passw(?:or)?d|pwd|salt|private[_-]?key|credentials?))["']?\s*[=:]\s*["']?)([^\s"',;}]+)/gi,
    `$1${MASK}`,
  ],
  // Well-known token formats: OpenAI/Anthropic (sk-...), GitHub, Slack, AWS access keys,
  // Google API keys, Coolify API tokens (<id>|<secret>).
  [/\bsk-[A-Za-z0-9_-]{16,}/g, MASK],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, MASK],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, MASK],
  [/\bAKIA[0-9A-Z]{16}\b/g, MASK],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, MASK],
  [/\b\d+\|[A-Za-z0-9]{40,}/g, MASK],
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The values to look for: each secret, its URL password (raw and decoded), longest first. */
function searchValues(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string") continue;
    if (secret.length >= MIN_VALUE_LENGTH) out.add(secret);
    const password = /^[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@/i.exec(secret)?.[1];
    if (password) {
      for (const p of [password, safeDecode(password)]) if (p.length >= 4) out.add(p);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with every known secret value and every secret-shaped value replaced by ****. */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const value of searchValues(secrets)) out = out.replace(new RegExp(escapeRegExp(value), "g"), MASK);
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}
