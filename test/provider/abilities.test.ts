// What the token may do is found out before anything is written, and a refused request says
// which ability is missing on which Coolify version: 4.6.0 made every DELETE need `delete`.
import { afterEach, describe, expect, it } from "vitest";
import { ensureAbility, preflight } from "../../providers/coolify/src/provider/context";
import { implementationOf } from "../../providers/coolify/src/provider/registry";
import { type Ability, type Simulator, startSimulator } from "../simulator";

const project = {
  name: "abilities",
  description: "",
  environment: "production",
  owner: "t/dev/p",
  adopt: false,
};

describe("token abilities", () => {
  let sim: Simulator | undefined;
  afterEach(async () => sim?.close());

  async function withToken(version: string, abilities: Ability[]): Promise<Simulator> {
    sim = await startSimulator({ port: 0, version, deleteDelayMs: 20 });
    process.env.COOLIFY_URL = sim.url;
    process.env.COOLIFY_TOKEN = sim.control.createToken({ abilities });
    sim.control.clearRequestLog();
    return sim;
  }
  const requests = (s: Simulator) => s.control.requestLog().map((e) => `${e.method} ${e.path.split("?")[0]}`);

  it("a token without deploy is refused before the first write, naming the ability", async () => {
    const s = await withToken("4.3.11", ["read", "write"]);
    const e = (await implementationOf("Project")
      .create(project)
      .catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("`deploy` ability");
    expect(e.message).toContain("Coolify 4.3.11");
    expect(e.message).toContain("nothing was changed");
    expect(s.control.state().projects).toEqual([]);
    // The probe needs `deploy` and changes nothing; it is the only non-GET request.
    expect(requests(s)).toEqual(["POST /api/v1/deploy", "GET /api/v1/version"]);
  });

  it("on 4.7.7 a token without delete is told so, with the version, before a replacement", async () => {
    const s = await withToken("4.7.7", ["read", "write", "deploy"]);
    const e = (await ensureAbility("delete").catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("`delete` ability");
    expect(e.message).toContain("on Coolify 4.7.7");
    expect(e.message).toContain("read, write, deploy and delete");
    expect(requests(s)).toEqual([
      "GET /api/v1/version",
      "DELETE /api/v1/applications/eliza-coolify-ability-check",
    ]);
  });

  it("on 4.3.11 deletes need no delete ability, and nothing is probed", async () => {
    const s = await withToken("4.3.11", ["read", "write", "deploy"]);
    await ensureAbility("delete");
    expect(requests(s)).toEqual(["GET /api/v1/version"]);
  });

  it("on 4.7.7 a token without delete is refused before the first write of an up", async () => {
    // An agent removed from the stack is deleted at the end of the `up` that changes the rest.
    const s = await withToken("4.7.7", ["read", "write", "deploy"]);
    const e = (await implementationOf("Project")
      .create(project)
      .catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("`delete` ability");
    expect(e.message).toContain(
      "needed for every DELETE (checked before the first write, by a request that changes nothing)",
    );
    expect(e.message).toContain("an `up` that removes something");
    expect(s.control.state().projects).toEqual([]);
    expect(requests(s)).toEqual([
      "POST /api/v1/deploy",
      "GET /api/v1/version",
      "DELETE /api/v1/applications/eliza-coolify-ability-check",
    ]);
  });

  it("a destroy refused for want of delete resumes cleanly once the token has it", async () => {
    const s = await withToken("4.7.7", ["read", "write", "deploy", "delete"]);
    const created = await implementationOf("Project").create(project);
    process.env.COOLIFY_TOKEN = s.control.createToken({ abilities: ["read", "write", "deploy"] });
    const e = (await implementationOf("Project")
      .delete(created.id, created.outs)
      .catch((x: unknown) => x)) as Error;
    expect(e.message).toContain("`delete` ability needed for DELETE /projects/");
    expect(e.message).toContain("on Coolify 4.7.7");
    expect(s.control.state().projects).toHaveLength(1); // nothing deleted, nothing half-done
    process.env.COOLIFY_TOKEN = s.control.createToken({ abilities: ["read", "write", "deploy", "delete"] });
    await implementationOf("Project").delete(created.id, created.outs);
    expect(s.control.state().projects).toEqual([]);
  });

  it("a preview proves the URL and the token with one request", async () => {
    const s = await withToken("4.3.11", ["read"]);
    await preflight();
    await preflight();
    expect(requests(s)).toEqual(["GET /api/v1/version"]);
  });

  it("a wrong token fails the preview with what to do", async () => {
    sim = await startSimulator({ port: 0 });
    process.env.COOLIFY_URL = `${sim.url}/api/v1`; // the API path is accepted too
    process.env.COOLIFY_TOKEN = "999|not-a-token";
    const e = (await implementationOf("Project")
      .check({}, project)
      .catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.code).toBe("unauthorized");
    expect(e.message).toContain("Keys & Tokens");
  });

  it("an unreachable Coolify fails the preview naming the URL", async () => {
    sim = await startSimulator({ port: 0 });
    const url = sim.url;
    await sim.close();
    sim = undefined;
    process.env.COOLIFY_URL = url;
    process.env.COOLIFY_TOKEN = "1|whatever";
    const e = (await implementationOf("Application")
      .check({}, {})
      .catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.code).toBe("network");
    expect(e.message).toContain(url);
  });
});
