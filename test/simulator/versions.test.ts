// The Coolify release the simulator plays (notes runtime-and-versions.md section 4): from 4.6.0
// on every DELETE needs the `delete` ability (or root); before it, `write` was enough.
import { describe, expect, it } from "vitest";
import { call, makeProject, useSimulator } from "./testkit";

const v43 = useSimulator({ version: "4.3.11", deleteDelayMs: 10 });
const v47 = useSimulator({ version: "4.7.7", deleteDelayMs: 10 });

describe("DELETE abilities by version", () => {
  it("4.3.11: a read+write+deploy token deletes", async () => {
    const projectUuid = await makeProject(v43);
    const token = v43.control.createToken({ abilities: ["read", "write", "deploy"] });
    expect((await call(v43, "GET", "/version", undefined, { token })).text).toBe("4.3.11");
    const r = await call(v43, "DELETE", `/projects/${projectUuid}`, undefined, { token });
    expect(r.status).toBe(200);
  });

  it("4.7.7: the same token gets 403 Missing required permissions: delete, and nothing is deleted", async () => {
    const projectUuid = await makeProject(v47);
    const token = v47.control.createToken({ abilities: ["read", "write", "deploy"] });
    expect((await call(v47, "GET", "/version", undefined, { token })).text).toBe("4.7.7");
    const r = await call(v47, "DELETE", `/projects/${projectUuid}`, undefined, { token });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ message: "Missing required permissions: delete" });
    expect(v47.control.state().projects).toHaveLength(1);
  });

  it("4.7.7: delete (or root) deletes; delete alone still cannot write", async () => {
    const projectUuid = await makeProject(v47);
    const withDelete = v47.control.createToken({ abilities: ["read", "write", "deploy", "delete"] });
    expect(
      (await call(v47, "DELETE", `/projects/${projectUuid}`, undefined, { token: withDelete })).status,
    ).toBe(200);
    const deleteOnly = v47.control.createToken({ abilities: ["delete"] });
    const w = await call(v47, "POST", "/projects", { name: "abc" }, { token: deleteOnly });
    expect(w.body).toEqual({ message: "Missing required permissions: write" });
  });
});
