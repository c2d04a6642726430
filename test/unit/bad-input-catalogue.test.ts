// Every entry of the bad-input catalogue (test/bad-inputs.ts) through readStackConfig, the way
// the program reads the stack config from the engine: the exact problem lines, each naming the
// config key and the fix, and nothing else. A program that throws here has created nothing:
// index.ts reads the config before it declares a single resource (the e2e fault suite checks a
// few entries through the real CLI and counts Coolify's write requests).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readStackConfig, StackConfigError } from "../../lib/config";
import { BAD_INPUTS, configAfter, expectedProblems } from "../bad-inputs";

const repoRoot = resolve(__dirname, "../..");

describe("the bad-input catalogue", () => {
  let root: string;
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs },
      "eliza-coolify",
      "dev",
    );
  });
  afterEach(() => {
    pulumi.runtime.setAllConfig({}, []);
    if (root) rmSync(root, { recursive: true, force: true });
  });
  afterAll(() => pulumi.runtime.setAllConfig({}, []));

  it("has at least 18 entries, each with its own id and at least one problem", () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(18);
    expect(new Set(BAD_INPUTS.map((b) => b.id)).size).toBe(BAD_INPUTS.length);
    for (const b of BAD_INPUTS) expect(b.problems.length, b.id).toBeGreaterThan(0);
    expect(BAD_INPUTS.some((b) => b.problems.length >= 3)).toBe(true);
  });

  it("the dev stack itself is valid, so each entry's problems are its own", () => {
    root = project({});
    const { config, secretKeys } = configAfter({ id: "none", what: "", set: [], problems: [] }, repoRoot);
    pulumi.runtime.setAllConfig(config, secretKeys);
    expect(readStackConfig(root).agents.map((a) => a.name)).toEqual(["server-bod", "release-scribe"]);
  });

  for (const b of BAD_INPUTS) {
    it(`${b.id}: ${b.what}`, () => {
      root = project(b.files ?? {});
      const { config, secretKeys } = configAfter(b, repoRoot);
      pulumi.runtime.setAllConfig(config, secretKeys);
      let error: unknown;
      try {
        readStackConfig(root);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StackConfigError);
      const e = error as StackConfigError;
      const lines = e.problems.map((p) => `${p.key}${p.path}: ${p.message}`);
      expect(lines.sort()).toEqual(expectedProblems(b, root).sort());
      const count = lines.length === 1 ? "1 problem" : `${lines.length} problems`;
      expect(e.message.split("\n")).toEqual([
        `Stack "dev" has an invalid configuration (${count}):`,
        ...e.problems.map((p) => `  ${p.key}${p.path}: ${p.message}`),
      ]);
      // Each line names the key the user sets, and a value given in plain text never comes back.
      for (const line of lines) expect(line).toMatch(/^(eliza-coolify|coolify):[A-Za-z]+/);
      for (const change of b.set.filter((c) => /Key|token/.test(c.key)))
        expect(e.message).not.toContain(change.value);
    });
  }
});

/** A project root with the repo's character files and the entry's own files. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "eliza-coolify-bad-input-"));
  cpSync(join(repoRoot, "characters"), join(dir, "characters"), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}
