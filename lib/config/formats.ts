/**
 * Value formats shared by the sections: image references, agent domains, URLs, memory sizes.
 * The image and domain checks are also exported for the components' own checks and for tests.
 */

export const MEMORY_PATTERN = /^[0-9]+(\.[0-9]+)?[bkmg]$/i;
export const CPUS_PATTERN = /^[0-9]+(\.[0-9]+)?$/;
export const IMAGE_NAME_PATTERN =
  /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Splits `registry/repo:tag@sha256:...` into its parts. */
export function parseImageReference(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    tag: hasTag ? rest.slice(colon + 1) : undefined,
    digest,
  };
}

/** Why an image reference is not acceptable as a pinned image, or undefined when it is. */
export function imagePinProblem(ref: string): string | undefined {
  if (/\s/.test(ref) || ref === "") return "is not an image reference — use registry/repository:tag";
  const { name, tag, digest } = parseImageReference(ref);
  if (!IMAGE_NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid image name — use lowercase registry/repository, e.g. ghcr.io/acme/eliza-agent`;
  }
  if (digest !== undefined) {
    if (!DIGEST_PATTERN.test(digest))
      return "has a malformed digest — use @sha256: followed by 64 hex digits";
    if (tag !== undefined && !TAG_PATTERN.test(tag)) return `has an invalid tag "${tag}"`;
    return undefined;
  }
  if (tag === undefined) {
    return "is not pinned (no tag means :latest) — add a version tag such as :1.7.2 or an @sha256: digest";
  }
  if (!TAG_PATTERN.test(tag)) return `has an invalid tag "${tag}"`;
  if (tag === "latest") {
    return "uses :latest, which changes under you — pin a version tag such as :1.7.2 or an @sha256: digest";
  }
  return undefined;
}

/** Normalises `https://Host.Example.com/` to `https://host.example.com`, or says what is wrong. */
export function checkDomain(value: string): { domain: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `"${value}" is not a URL — write it as https://agent.example.com` };
  }
  if (url.protocol !== "https:") {
    return {
      problem: `must use https (got ${url.protocol.replace(":", "")}) — write it as https://${url.hostname || "agent.example.com"}; the proxy gets a certificate for it`,
    };
  }
  if (url.username || url.password) return { problem: "must not contain credentials — use https://<host>" };
  if (url.port) {
    return {
      problem: `must not name a port (${url.port}) — the proxy serves 443 and routes to the agent's port itself`,
    };
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    return { problem: "must be a bare origin with no path, query or fragment — use https://<host>" };
  }
  const host = url.hostname.toLowerCase();
  if (!HOSTNAME_PATTERN.test(host) || /^[0-9.]+$/.test(host)) {
    return { problem: `"${host}" is not a valid DNS hostname — use a name such as agent.example.com` };
  }
  return { domain: `https://${host}` };
}

export function isHttpUrl(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== "";
  } catch {
    return false;
  }
}

export function stripUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
