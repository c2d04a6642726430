// Path segments and bodies as the endpoints send them.

/** A uuid or name as one path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Coolify treats a key sent as null differently from a key left out; undefined means left out. */
export function withoutUndefined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}
