// The program against Coolify 4.3.11 and 4.7.7 with non-root tokens, through the real CLI:
// 4.6.0 made every DELETE need the `delete` ability. A destroy with the right token leaves Coolify
// empty on both; without `delete` on 4.7.7 an `up` is refused before its first write (it may
// delete an agent taken out of the stack, last), a destroy fails once per resource, clearly,
// changes nothing, and both resume when the token is fixed. A preview proves the URL and the
// token with one request.
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

  it("on 4.7.7 a token without delete: an up that removes an agent is refused before its first write, a destroy fails once per resource, and both resume once fixed", async () => {
    const s = await open("4.7.7", [...BASE, "delete"]);
    expect((await s.stack.up({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
    const before = s.sim.control.state();
    const logLevel = () =>
      s.sim.control
        .state()
        .envs.filter((e) => e.key === "LOG_LEVEL" && e.is_preview === false)
        .map((e) => e.value)
        .sort();
    const levelsBefore = logLevel();
    s.stack.workspace.envVars.COOLIFY_TOKEN = s.sim.control.createToken({ abilities: BASE });
    const message = "lacks the `delete` ability needed for DELETE";
    const realWrites = () =>
      s.sim.control
        .requestLog()
        .filter(
          (e) => e.path.startsWith("/api/v1") && e.method !== "GET" && !e.path.includes("ability-check"),
        );

    // One agent taken out of the stack and the other changed: the delete would come last, after
    // the other agent's env write and redeploy. The check comes before any of it.
    await s.stack.removeConfig("eliza-coolify:agents[1]", true);
    await s.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "warn" }, true);
    s.sim.control.clearRequestLog();
    s.output.length = 0;
    expect(await s.stack.up({ onOutput: s.onOutput }).catch((e: unknown) => e)).toBeInstanceOf(Error);
    const refused = s.output.join("");
    expect(refused).toContain(
      "lacks the `delete` ability needed for every DELETE (checked before the first write, by a request that changes nothing)",
    );
    expect(refused).toContain("an `up` that removes something");
    expect(refused).toContain("on Coolify 4.7.7");
    expect(refused).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
    expect(realWrites()).toEqual([]);
    expect(s.sim.control.state().applications.length).toBe(before.applications.length);
    expect(logLevel()).toEqual(levelsBefore);

    // A destroy: every DELETE is refused, and each refused resource says so exactly once.
    s.sim.control.clearRequestLog();
    s.output.length = 0;
    expect(await s.stack.destroy({ onOutput: s.onOutput }).catch((e: unknown) => e)).toBeInstanceOf(Error);
    const output = s.output.join("");
    const diagnostics = output.slice(output.indexOf("Diagnostics:"));
    console.log(
      `what the user sees:\n${diagnostics
        .split("\n")
        .filter((l) => l.includes("`delete`"))
        .join("\n")}`,
    );
    const refusedDeletes = realWrites().filter((e) => e.method === "DELETE" && e.status === 403);
    // The two applications and the database; the project waits for them and is never tried.
    expect(refusedDeletes.map((e) => e.path.replace(/[a-z0-9]{24}/, "<uuid>")).sort()).toEqual([
      "/api/v1/applications/<uuid>",
      "/api/v1/applications/<uuid>",
      "/api/v1/databases/<uuid>",
    ]);
    expect(diagnostics.split(message).length - 1).toBe(refusedDeletes.length);
    for (const resource of [
      "Application (server-bod-app)",
      "Application (release-scribe-app)",
      "PostgresDatabase (agents-db-postgres)",
    ]) {
      expect(diagnostics.split(resource).length - 1, resource).toBe(1);
    }
    expect(output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
    expect(output).not.toContain("CoolifyError:");
    const after = s.sim.control.state();
    expect(after.applications.length).toBe(before.applications.length);
    expect(after.databases.length).toBe(before.databases.length);

    // Fixed token: the up removes the agent, then the destroy empties Coolify.
    s.stack.workspace.envVars.COOLIFY_TOKEN = s.sim.control.createToken({ abilities: [...BASE, "delete"] });
    expect((await s.stack.up({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
    expect(s.sim.control.state().applications.map((a) => a.name)).toEqual(["server-bod"]);
    expect((await s.stack.destroy({ onOutput: s.onOutput })).summary.result).toBe("succeeded");
    expect(empty(s)).toEqual([[], [], []]);
    expect(s.sim.control.responseViolations()).toEqual([]);
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
