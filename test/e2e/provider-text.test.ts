// What every dynamic resource stores as `__provider` (providers/coolify/src/provider/shim.ts): a
// one-line module the Node dynamic-provider host loads, instead of the 2.4 KB serialized closure
// earlier versions stored. Through the real CLI on the simulator: a new stack stores only the
// line; a stack whose state still holds the serialized closure (rewritten here into the state
// file, as an older version left it) previews with no change, refreshes, updates nothing and
// destroys cleanly, so upgrading costs no diff and no redeploy.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

type StateResource = { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
type StateFile = { checkpoint: { latest: { resources: StateResource[] } } };

const DYNAMIC = "pulumi-nodejs:dynamic/coolify:";
/** The serialized closure of the shim object versions up to this one stored, for one type. */
const closureText = (type: string) =>
  readFileSync(join(__dirname, "fixtures/provider-text/serialized-closure.js.txt"), "utf8")
    .trimEnd()
    .replace("__TYPE__", type);

describe("__provider: one line in new state, the serialized closure of older state still works", () => {
  let t: LocalStack;
  const statePath = () => join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json");
  const readState = () => JSON.parse(readFileSync(statePath(), "utf8")) as StateFile;
  const dynamicResources = () =>
    readState().checkpoint.latest.resources.filter((r) => r.type.startsWith(DYNAMIC));
  const apiRequests = () => t.sim.control.requestLog().filter((e) => e.path.startsWith("/api/v1"));

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "dev" });
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
  }, 300_000);
  afterAll(async () => t?.close());

  it("a new stack stores a line of under 200 characters per resource, naming the package and the type", () => {
    const resources = dynamicResources();
    expect(resources.length).toBeGreaterThan(10);
    for (const r of resources) {
      const type = r.type.slice(DYNAMIC.length);
      for (const props of [r.inputs, r.outputs]) {
        const text = String(props?.__provider);
        expect(text.length, r.type).toBeLessThan(200);
        expect(text).toContain('require("@eliza-coolify/coolify")');
        expect(text).toContain(JSON.stringify(type));
      }
    }
  });

  it("state written with the serialized closure: a preview shows no change", async () => {
    const state = readState();
    for (const r of state.checkpoint.latest.resources) {
      if (!r.type.startsWith(DYNAMIC)) continue;
      const old = closureText(r.type.slice(DYNAMIC.length));
      for (const props of [r.inputs, r.outputs]) if (props) props.__provider = old;
    }
    writeFileSync(statePath(), JSON.stringify(state, null, 4));
    expect(dynamicResources().every((r) => String(r.outputs?.__provider).length > 2_000)).toBe(true);

    t.sim.control.clearRequestLog();
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
    expect(apiRequests().map((e) => `${e.method} ${e.path}`)).toEqual(["GET /api/v1/version"]);
  });

  it("refresh runs today's code through the old text, and an up changes nothing in Coolify", async () => {
    const refresh = await t.stack.refresh({ onOutput: t.onOutput });
    expect(refresh.summary.result).toBe("succeeded");
    t.sim.control.clearRequestLog();
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(Object.keys(up.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(apiRequests().filter((e) => e.method !== "GET")).toEqual([]);
  });

  it("destroy runs through the old text and leaves Coolify empty", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect([s.projects, s.applications, s.databases]).toEqual([[], [], []]);
  });
});
