// Proves the toolchain scripts/setup.sh builds: the pulumi CLI, our Node language host and the
// dynamic-provider plugin run a program through preview, up, a no-change preview, refresh (also
// after an out-of-band change) and destroy.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, repoRoot, type TestStack } from "./harness";

const workDir = join(repoRoot, "test/e2e/fixtures/engine-check");

describe("pulumi engine with our language host and the dynamic-provider plugin", () => {
  let t: TestStack;
  let storeDir: string;
  let storePath: string;

  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), "engine-check-store-"));
    storePath = join(storeDir, "store.json");
    t = await createTestStack({
      workDir,
      config: { text: { value: "hello" }, storePath: { value: storePath } },
    });
  });

  afterAll(async () => {
    await t?.cleanup();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("previews a create", async () => {
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(preview.changeSummary).toEqual({ create: 2 });
  });

  it("creates the dynamic resource and exports its outputs", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.length?.value).toBe(5);
    expect(JSON.parse(readFileSync(storePath, "utf8"))).toEqual({ "note-1": "hello" });
  });

  it("shows no changes on a second preview", async () => {
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(preview.changeSummary).toEqual({ same: 2 });
  });

  it("refreshes without changes, then notices an out-of-band edit", async () => {
    const quiet = await t.stack.refresh({ onOutput: t.onOutput });
    expect(quiet.summary.resourceChanges).toEqual({ same: 2 });

    writeFileSync(storePath, JSON.stringify({ "note-1": "edited" }));
    const noticed = await t.stack.refresh({ onOutput: t.onOutput });
    expect(noticed.summary.resourceChanges).toMatchObject({ update: 1 });
    // The program still says "hello", so the next preview wants to put it back.
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(preview.changeSummary).toMatchObject({ update: 1 });
  });

  it("updates in place", async () => {
    await t.stack.setConfig("text", { value: "hello again" });
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(JSON.parse(readFileSync(storePath, "utf8"))).toEqual({ "note-1": "hello again" });
  });

  it("destroys everything", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.resourceChanges).toEqual({ delete: 2 });
    expect(JSON.parse(readFileSync(storePath, "utf8"))).toEqual({});
  });
});
