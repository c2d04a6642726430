// Projects and environments (notes 4.3, section 3, P6).
import { describe, expect, it } from "vitest";
import { call, makeApp, makeDb, makeProject, useSimulator } from "./testkit";

const sim = useSimulator({ deleteDelayMs: 300 });

describe("projects", () => {
  it("create gives 201 {uuid} and a production environment", async () => {
    const r = await call(sim, "POST", "/projects", { name: "eliza", description: "agents" });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(["uuid"]);
    expect(r.body.uuid).toMatch(/^[a-z0-9]{24}$/);
    const g = await call(sim, "GET", `/projects/${r.body.uuid}`);
    expect(g.status).toBe(200);
    expect(g.body.name).toBe("eliza");
    expect(g.body.environments.map((e: { name: string }) => e.name)).toEqual(["production"]);
    expect(g.body.environments[0].uuid).toMatch(/^[a-z0-9]{24}$/);
  });
  it("description never sent is stored as empty string (P31)", async () => {
    const uuid = await makeProject(sim, "no description");
    const g = await call(sim, "GET", `/projects/${uuid}`);
    expect(g.body.description).toBe("");
  });
  it("list is [{id, uuid, name, description}]; duplicate names are allowed", async () => {
    await makeProject(sim, "same");
    await makeProject(sim, "same");
    const l = await call(sim, "GET", "/projects");
    expect(l.body).toHaveLength(2);
    expect(Object.keys(l.body[0]).sort()).toEqual(["description", "id", "name", "uuid"]);
  });
  it("PATCH answers 201 (sic) with {uuid, name, description}", async () => {
    const uuid = await makeProject(sim);
    const r = await call(sim, "PATCH", `/projects/${uuid}`, { name: "renamed" });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ uuid, name: "renamed", description: "" });
  });
  it("name rules and unknown fields give 422 shape (a)", async () => {
    const r = await call(sim, "POST", "/projects", { name: "ab", color: "red" });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe("Validation failed.");
    expect(r.body.errors.color).toEqual(["This field is not allowed."]);
    expect(Array.isArray(r.body.errors.name)).toBe(true);
    const r2 = await call(sim, "POST", "/projects", { description: "x" });
    expect(r2.body.errors.name).toEqual(["This field is required."]);
  });
  it("404 for another team's project", async () => {
    const uuid = await makeProject(sim);
    const other = sim.control.createToken({ abilities: ["root"], teamId: 2 });
    const r = await call(sim, "GET", `/projects/${uuid}`, undefined, { token: other });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: "Project not found." });
  });
  it("delete: 200, then 404", async () => {
    const uuid = await makeProject(sim);
    const d = await call(sim, "DELETE", `/projects/${uuid}`);
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ message: "Project deleted." });
    expect((await call(sim, "GET", `/projects/${uuid}`)).status).toBe(404);
  });
});

describe("queued deletes block parent deletes (notes 4.5.4, P6)", () => {
  it("project delete is 400 while an app deletion is still queued, 200 after", async () => {
    const p = await makeProject(sim);
    const app = await makeApp(sim, p);
    const db = await makeDb(sim, p);
    expect((await call(sim, "DELETE", `/projects/${p}`)).body).toEqual({
      message: "Project has resources, so it cannot be deleted.",
    });
    const da = await call(sim, "DELETE", `/applications/${app.uuid}`);
    expect(da.body).toEqual({ message: "Application deletion request queued." });
    const dd = await call(sim, "DELETE", `/databases/${db.uuid}`);
    expect(dd.body).toEqual({ message: "Database deletion request queued." });
    // still visible until the job runs
    expect((await call(sim, "GET", `/applications/${app.uuid}`)).status).toBe(200);
    expect((await call(sim, "GET", `/databases/${db.uuid}`)).status).toBe(200);
    const blocked = await call(sim, "DELETE", `/projects/${p}`);
    expect(blocked.status).toBe(400);
    const envBlocked = await call(sim, "DELETE", `/projects/${p}/environments/production`);
    expect(envBlocked.status).toBe(400);
    expect(envBlocked.body).toEqual({ message: "Environment has resources, so it cannot be deleted." });
    sim.control.step(299);
    expect((await call(sim, "GET", `/applications/${app.uuid}`)).status).toBe(200);
    sim.control.step(1);
    expect((await call(sim, "GET", `/applications/${app.uuid}`)).status).toBe(404);
    expect((await call(sim, "GET", `/databases/${db.uuid}`)).status).toBe(404);
    expect((await call(sim, "DELETE", `/projects/${p}`)).status).toBe(200);
  });
});

describe("environments (notes 4.3, section 3)", () => {
  it("create 201 {uuid}; names stored lower-cased, / -> -; lookup by name or uuid", async () => {
    const p = await makeProject(sim);
    const r = await call(sim, "POST", `/projects/${p}/environments`, { name: "Staging/EU" });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(["uuid"]);
    const byName = await call(sim, "GET", `/projects/${p}/staging-eu`);
    expect(byName.status).toBe(200);
    expect(byName.body.uuid).toBe(r.body.uuid);
    expect(byName.body.applications).toEqual([]);
    expect(byName.body.postgresqls).toEqual([]);
    const byUuid = await call(sim, "GET", `/projects/${p}/${r.body.uuid}`);
    expect(byUuid.body.name).toBe("staging-eu");
    const list = await call(sim, "GET", `/projects/${p}/environments`);
    expect(list.body.map((e: { name: string }) => e.name)).toEqual(["production", "staging-eu"]);
    expect(Object.keys(list.body[0]).sort()).toEqual(["id", "name", "uuid"]);
  });
  it("duplicate check uses the raw name: 409 for same, not caught for different case", async () => {
    const p = await makeProject(sim);
    const dup = await call(sim, "POST", `/projects/${p}/environments`, { name: "production" });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ message: "Environment with this name already exists." });
    const upper = await call(sim, "POST", `/projects/${p}/environments`, { name: "Production" });
    expect(upper.status).toBe(201);
  });
  it("only name is allowed on create; PATCH gives 200 {uuid, name, description}", async () => {
    const p = await makeProject(sim);
    const bad = await call(sim, "POST", `/projects/${p}/environments`, { name: "dev", description: "x" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.description).toEqual(["This field is not allowed."]);
    await call(sim, "POST", `/projects/${p}/environments`, { name: "dev" });
    const patch = await call(sim, "PATCH", `/projects/${p}/environments/dev`, { description: "development" });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ name: "dev", description: "development" });
    const del = await call(sim, "DELETE", `/projects/${p}/environments/dev`);
    expect(del.body).toEqual({ message: "Environment deleted." });
    expect((await call(sim, "GET", `/projects/${p}/dev`)).body).toEqual({
      message: "Environment not found.",
    });
  });
});
