/**
 * The problem collector: every section adds what it finds, and the parse fails once, at the
 * end, with all of them. One line per problem: `<config key><path>: <problem> — <how to fix>`.
 */
import type { z } from "zod";
import { nearest } from "../../characters/schema";

export interface ConfigProblem {
  /** Full config key, e.g. `eliza-coolify:agents` or `coolify:token`. */
  key: string;
  /** Path inside the value, in `pulumi config set --path` syntax: `[0].source.image`. */
  path: string;
  message: string;
}

export class StackConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(stack: string, problems: ConfigProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${p.key}${p.path}: ${p.message}`);
    super(`Stack "${stack}" has an invalid configuration (${count}):\n${lines.join("\n")}`);
    this.name = "StackConfigError";
    this.problems = problems;
  }
}

/** A path inside a value in `pulumi config set --path` syntax: `[0].env["a-b"]`. */
export function pathSuffix(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(segment))) out += `.${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

export class Problems {
  readonly list: ConfigProblem[] = [];
  add(key: string, path: string, message: string): void {
    this.list.push({ key, path, message });
  }
  /** Adds zod issues; unknown keys get a "did you mean" hint from `knownAt(path)`. */
  addZod(key: string, base: string, error: z.ZodError, knownAt: (path: PropertyKey[]) => string[]): void {
    for (const issue of error.issues) {
      if (issue.code === "unrecognized_keys") {
        const known = knownAt(issue.path);
        for (const k of issue.keys) {
          const hint = nearest(k, known);
          this.add(
            key,
            base + pathSuffix([...issue.path, k]),
            hint
              ? `unknown key — did you mean "${hint}"?`
              : `unknown key — remove it; allowed here: ${known.join(", ")}`,
          );
        }
        continue;
      }
      this.add(key, base + pathSuffix(issue.path), issue.message);
    }
  }
}
