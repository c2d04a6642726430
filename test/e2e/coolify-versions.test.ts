// The program against Coolify 4.3.11 and 4.7.7 with non-root tokens, through the real CLI:
// 4.6.0 made every DELETE need the `delete` ability. A destroy with the right token leaves Coolify
// empty on both; one without `delete` on 4.7.7 fails once, clearly, changes nothing, and resumes
// when the token is fixed. A preview proves the URL and the token with one request.
import { afterEach, describe, expect, it } from "vitest";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";
import type { Ability } from "../simulator";

const BASE: Ability[] = ["read", "write", "deploy", "read:sensitive"];

describe("current Coolify versions and token abilities", () => {
  let t: LocalStack | undefined;
  afterEach(async () => t?.close());

  const open = async (version: string, abilities: Ability[]) => {
    t = await openLocalStack({ stackName: "dev", simulator: { version }, abilities });
    return t;
  };
  const deletes = (s: LocalStack) =>
    s.sim.control
      .requestLog()
      .filter((e) => e.path.startsWith("/api/v1") && e.method === "DELETE")
      .map((e) => `${e.method} ${e.path.replace(/[a-z0-9]{24}/g, "<uuid>")} ${e.status}`);
  const empty = (s: LocalStack) => {
    const state = s.sim.control.state();
    return [state.projects, state.applications, state.databases];
  };

  for (const [version, abilities] of [
    ["4.3.11", BASE],
    ["4.7.7", [...BASE, "delete"]],
  ] as const) {
    it(`destroys on ${version} with a ${abilities.join("+")} token and leaves Coolify empty`, async () => {
      const s = await open(version, [...abilities]);
      expect((await s.stack.up({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
      s.sim.control.clearRequestLog();
      expect((await s.stack.destroy({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
      console.log(`delete phase on ${version}:\n  ${deletes(s).join("\n  ")}`);
      expect(deletes(s).every((d) => !d.endsWith(" 403"))).toBe(true);
      expect(empty(s)).toEqual([[], [], []]);
      expect(s.sim.control.responseViolations()).toEqual([]);
    });
  }

  it("on 4.7.7 a token without delete fails the destroy once, says why, and resumes once fixed", async () => {
    const s = await open("4.7.7", BASE);
    expect((await s.stack.up({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
    const before = s.sim.control.state();
    s.output.length = 0;
    const failed = await s.stack.destroy({ onOutput: s.onOutput }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    const output = s.output.join("");
    console.log(
      `what the user sees:\n${output
        .split("\n")
        .filter((l) => l.includes("`delete`"))
        .join("\n")}`,
    );
    const message = "lacks the `delete` ability needed for DELETE";
    expect(output).toContain(message);
    expect(output).toContain("on Coolify 4.7.7");
    // Once per failed resource, and no JS stack trace.
    const failedResources = output.split(message).length - 1;
    expect(failedResources).toBeGreaterThan(0);
    expect(output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
    expect(output).not.toContain("CoolifyError:");
    // Nothing was deleted: the applications and the database are all still there.
    const after = s.sim.control.state();
    expect(after.applications.length).toBe(before.applications.length);
    expect(after.databases.length).toBe(before.databases.length);

    s.stack.workspace.envVars.COOLIFY_TOKEN = s.sim.control.createToken({ abilities: [...BASE, "delete"] });
    expect((await s.stack.destroy({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
    expect(empty(s)).toEqual([[], [], []]);
  });

  it("a token without deploy is refused before anything is created", async () => {
    const s = await open("4.3.11", ["read", "write", "read:sensitive"]);
    const failed = await s.stack.up({ onOutput: s.onOutput }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(s.output.join("")).toContain("lacks the `deploy` ability");
    expect(empty(s)).toEqual([[], [], []]);
  });

  it("a preview fails on a wrong token or an unreachable Coolify, and costs one request otherwise", async () => {
    const s = await open("4.3.11", BASE);
    s.sim.control.clearRequestLog();
    await s.stack.preview({ onOutput: s.onOutput });
    const api = s.sim.control.requestLog().filter((e) => e.path.startsWith("/api/v1"));
    expect(api.map((e) => `${e.method} ${e.path}`)).toEqual(["GET /api/v1/version"]);

    s.stack.workspace.envVars.COOLIFY_TOKEN = "999|wrong-token-for-the-test";
    s.output.length = 0;
    expect(await s.stack.preview({ onOutput: s.onOutput }).catch((e: unknown) => e)).toBeInstanceOf(Error);
    expect(s.output.join("")).toContain("Coolify rejected the API token");

    s.stack.workspace.envVars.COOLIFY_URL = "http://127.0.0.1:9";
    s.output.length = 0;
    expect(await s.stack.preview({ onOutput: s.onOutput }).catch((e: unknown) => e)).toBeInstanceOf(Error);
    expect(s.output.join("")).toContain("Could not reach Coolify at http://127.0.0.1:9");
  });
});
