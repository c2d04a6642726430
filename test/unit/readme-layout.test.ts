// The README's "How it is built" layout agrees with the tracked tree, so a newcomer finds every
// piece: each top-level folder and each folder one level down (lib/config/, test/production/,
// scripts/containers/, ...), each file directly in lib/ or scripts/, and the top-level program
// files have a line; and no line names a path that is not there.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const tracked = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter(Boolean);

/** The paths the layout block lists: the first word of each line that starts with one. */
function layoutPaths(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## How it is built"));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no code block under "## How it is built"');
  return block
    .split("\n")
    .map((line) => /^ {0,2}(\S+)\s{2,}/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** What must have a line: folders to depth 2, files in lib/ and scripts/, the program files. */
function requiredPaths(files: string[]): string[] {
  const required = new Set<string>();
  for (const file of files) {
    const parts = file.split("/");
    if (parts.length === 1) {
      if (/^(index\.ts|Pulumi(\.\w+)?\.yaml)$/.test(file)) required.add(file);
      continue;
    }
    required.add(`${parts[0]}/`);
    if (parts.length >= 3) required.add(`${parts[0]}/${parts[1]}/`);
    else if (parts[0] === "lib" || parts[0] === "scripts") required.add(file);
  }
  return [...required].sort();
}

describe("README layout (How it is built)", () => {
  const listed = layoutPaths();

  it("has a line for every top-level piece of the tree", () => {
    // A folder whose contents have their own lines (lib/ by lib/config/) counts as listed.
    const covered = (path: string) =>
      listed.includes(path) || (path.endsWith("/") && listed.some((line) => line.startsWith(path)));
    const missing = requiredPaths(tracked).filter((path) => !covered(path));
    expect(missing, `add a line to README.md "How it is built" for: ${missing.join(", ")}`).toEqual([]);
  });

  it("names only paths that exist", () => {
    const stale = listed.filter((path) =>
      path.endsWith("/") ? !tracked.some((file) => file.startsWith(path)) : !tracked.includes(path),
    );
    expect(stale, `README.md "How it is built" names paths not in the tree: ${stale.join(", ")}`).toEqual([]);
  });

  it("reads the layout it checks (the rule sees nested and top-level lines)", () => {
    expect(listed).toEqual(expect.arrayContaining(["index.ts", "lib/front-door.ts", "test/production/"]));
    expect(listed).toContain("providers/coolify/src/client/");
    expect(requiredPaths(["a.md", "lib/x.ts", "test/e2e/y.ts", "components/z.ts"])).toEqual([
      "components/",
      "lib/",
      "lib/x.ts",
      "test/",
      "test/e2e/",
    ]);
  });
});
