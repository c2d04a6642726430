import type { z } from "zod";

/** The value the engine sends for an input that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  property: string;
  reason: string;
}

function containsUnknownOnPath(value: unknown, path: PropertyKey[]): boolean {
  let cur: unknown = value;
  if (cur === UNKNOWN) return true;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return false;
    cur = (cur as Record<PropertyKey, unknown>)[key];
    if (cur === UNKNOWN) return true;
  }
  return false;
}

/** True when the value, or anything inside it, is not known yet. */
export function hasUnknowns(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknowns);
  if (value && typeof value === "object") return Object.values(value).some(hasUnknowns);
  return false;
}

/**
 * Validates inputs with a zod schema and turns issues into check failures that name the property.
 * Issues on values that are unknown during preview are skipped: they are checked again at update
 * time, when the values are known. On success the parsed (defaulted, normalised) inputs are
 * returned; with unknowns present the raw inputs pass through so the engine keeps the unknowns.
 */
export function checkWith<T>(
  schema: z.ZodType<T>,
  news: Record<string, unknown>,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider, ...rest } = news;
  const parsed = schema.safeParse(rest);
  if (parsed.success) {
    return { inputs: { ...(parsed.data as Record<string, unknown>), __provider }, failures: [] };
  }
  const failures = parsed.error.issues
    .filter((issue) => !containsUnknownOnPath(rest, issue.path))
    .map((issue) => ({
      property: issue.path.length ? issue.path.map(String).join(".") : "(inputs)",
      reason: issue.message,
    }));
  return { inputs: { ...withKnownDefaults(schema, rest), __provider }, failures };
}

/**
 * The inputs with each known top-level field parsed on its own (defaults applied), unknown
 * ones kept as they are. Without the defaults a preview would compare, say, an omitted `user`
 * with the "eliza" in state and claim that the database must be replaced.
 */
function withKnownDefaults(schema: z.ZodType, raw: Record<string, unknown>): Record<string, unknown> {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const [key, field] of Object.entries(shape)) {
    if (hasUnknowns(raw[key])) continue;
    const r = field.safeParse(raw[key]);
    if (r.success && r.data !== undefined) out[key] = r.data;
  }
  return out;
}

/** Stable JSON: object keys sorted, so equal values compare equal as strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The declared inputs whose values differ between old outputs and new inputs. */
export function changedKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
): string[] {
  return keys.filter((k) => canonicalJson(olds[k] ?? null) !== canonicalJson(news[k] ?? null));
}

/**
 * The keys whose new value is known and differs: what may be called a replacement. During a
 * preview an input that comes from another resource's output is unknown when that resource
 * changes; claiming a replacement then would alarm every PR preview for nothing. The real diff
 * at `pulumi up` time sees the known value and replaces if it really differs.
 */
export function replacedKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
): string[] {
  return changedKeys(olds, news, keys).filter((k) => !hasUnknowns(news[k]));
}
