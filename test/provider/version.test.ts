// A request an old Coolify rejects should read "upgrade Coolify", not a puzzling field error.
import { afterEach, describe, expect, it } from "vitest";
import { implementationOf } from "../../providers/coolify/src/provider/registry";
import { type Simulator, startSimulator } from "../simulator";

describe("errors from a Coolify older than 4.2", () => {
  let sim: Simulator | undefined;
  afterEach(async () => sim?.close());

  async function createRejectedProject(version: string): Promise<unknown> {
    sim = await startSimulator({ port: 0, version });
    process.env.COOLIFY_URL = sim.url;
    process.env.COOLIFY_TOKEN = sim.rootToken;
    // Inputs check() would refuse, sent anyway, so that the server answers 422.
    return implementationOf("Project")
      .create({ name: "x", description: "", environment: "production", owner: "t/dev/x", adopt: false })
      .catch((e: unknown) => e);
  }

  it("say which version is too old and to upgrade, instead of the field error", async () => {
    const e = (await createRejectedProject("4.1.0")) as { code?: string; message: string };
    expect(e.code).toBe("unsupported_version");
    expect(e.message).toMatch(/4\.1\.0/);
  });

  it("keep the server's own error on a current Coolify", async () => {
    const e = (await createRejectedProject("4.3.11")) as { code?: string; message: string };
    expect(e.code).toBe("validation");
    expect(e.message).toMatch(/name/);
  });
});
