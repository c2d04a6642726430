// PostgreSQL databases (notes 4.7, 1.2, section 7, P20, P21, P28, P32).
import { describe, expect, it } from "vitest";
import { call, makeDb, makeProject, SERVER_UUID, useSimulator } from "./testkit";

let project: string;
const sim = useSimulator({ deploymentPhaseMs: 100 }, async (s) => {
  project = await makeProject(s);
});
const placement = () => ({ project_uuid: project, server_uuid: SERVER_UUID, environment_name: "production" });

describe("create", () => {
  it("201 {uuid, internal_db_url} with defaults; URLs returned even to a non-sensitive token", async () => {
    const writer = sim.control.createToken({ abilities: ["write", "read"], role: "member" });
    // members may hold read-only tokens only (v4.2): refused
    expect((await call(sim, "POST", "/databases/postgresql", placement(), { token: writer })).status).toBe(
      403,
    );
    const w = sim.control.createToken({ abilities: ["write"] });
    const r = await call(
      sim,
      "POST",
      "/databases/postgresql",
      { ...placement(), postgres_password: "pw" },
      { token: w },
    );
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["internal_db_url", "uuid"]);
    expect(r.body.internal_db_url).toBe(`postgres://postgres:pw@${r.body.uuid}:5432/postgres`);
    const g = await call(sim, "GET", `/databases/${r.body.uuid}`);
    expect(g.body).toMatchObject({
      image: "postgres:16-alpine",
      status: "exited",
      database_type: "standalone-postgresql",
      name: `postgresql-database-${r.body.uuid}`,
    });
    expect(g.body.destination.server.settings.is_reachable).toBe(true);
  });
  it("public: external_db_url; is_public without port is quietly false; port range 422 (b); port in use 400", async () => {
    const pub = await makeDb(sim, project, { is_public: true, public_port: 5433, postgres_password: "p@ss" });
    expect(pub.external_db_url).toBe("postgres://postgres:p%40ss@192.0.2.10:5433/postgres");
    const quiet = await makeDb(sim, project, { is_public: true });
    expect(quiet.external_db_url).toBeUndefined();
    expect((await call(sim, "GET", `/databases/${quiet.uuid}`)).body.is_public).toBe(false);
    const range = await call(sim, "POST", "/databases/postgresql", {
      ...placement(),
      is_public: true,
      public_port: 80,
    });
    expect(range.status).toBe(422);
    expect(typeof range.body.errors.public_port).toBe("string");
    const used = await call(sim, "POST", "/databases/postgresql", {
      ...placement(),
      is_public: true,
      public_port: 5433,
    });
    expect(used.status).toBe(400);
    expect(used.body).toEqual({ message: "Public port already used by another database." });
  });
  it("identifier and password rules (P21)", async () => {
    const r = await call(sim, "POST", "/databases/postgresql", {
      ...placement(),
      postgres_user: "app-first",
      postgres_db: "eliza_db",
      postgres_password: "has space$",
    });
    expect(r.status).toBe(422);
    expect(Object.keys(r.body.errors).sort()).toEqual(["postgres_password", "postgres_user"]);
    expect(Array.isArray(r.body.errors.postgres_user)).toBe(true);
  });
  it("unknown env is 422 shape (d), unknown fields 422 (a)", async () => {
    const env = await call(sim, "POST", "/databases/postgresql", {
      ...placement(),
      environment_name: "nope",
    });
    expect(env.status).toBe(422);
    expect(env.body).toEqual({
      message: "You need to provide a valid environment_name or environment_uuid.",
    });
    const unk = await call(sim, "POST", "/databases/postgresql", { ...placement(), vector: true });
    expect(unk.body.errors).toEqual({ vector: ["This field is not allowed."] });
  });
  it("wrong generic types are not validated and give 500 (P32)", async () => {
    const r = await call(sim, "POST", "/databases/postgresql", { ...placement(), is_public: "yes" });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ message: "Server Error" });
  });
});

describe("read, patch, lifecycle", () => {
  it("hidden fields without a sensitive token (notes 7)", async () => {
    const db = await makeDb(sim, project, { postgres_password: "pw" });
    const reader = sim.control.createToken({ abilities: ["read"] });
    const r = await call(sim, "GET", `/databases/${db.uuid}`, undefined, { token: reader });
    for (const k of ["postgres_password", "internal_db_url", "external_db_url"])
      expect(r.body).not.toHaveProperty(k);
    expect(r.body.destination.server.settings).not.toHaveProperty("sentinel_token");
    const root = await call(sim, "GET", `/databases/${db.uuid}`);
    expect(root.body.postgres_password).toBe("pw");
    expect(root.body.internal_db_url).toBe(db.internal_db_url);
    const all = await call(sim, "GET", "/databases");
    expect(all.body[0].backup_configs).toEqual([]);
  });
  it("PATCH: 200 Database updated.; create-only keys dropped silently; others 422", async () => {
    const db = await makeDb(sim, project);
    const ok = await call(sim, "PATCH", `/databases/${db.uuid}`, {
      name: "agent-db",
      limits_memory: "512m",
      instant_deploy: true,
      project_uuid: project,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ message: "Database updated." });
    expect((await call(sim, "GET", `/databases/${db.uuid}`)).body).toMatchObject({
      name: "agent-db",
      limits_memory: "512m",
    });
    const bad = await call(sim, "PATCH", `/databases/${db.uuid}`, { mysql_password: "x", color: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.color).toEqual(["This field is not allowed."]);
  });
  it("start -> running:healthy after a phase; already running/stopped guards", async () => {
    const db = await makeDb(sim, project);
    const stopped = await call(sim, "POST", `/databases/${db.uuid}/stop`);
    expect(stopped.status).toBe(400);
    expect(stopped.body).toEqual({ message: "Database is already stopped." });
    const s = await call(sim, "POST", `/databases/${db.uuid}/start`);
    expect(s.body).toEqual({ message: "Database starting request queued." });
    sim.control.step(100);
    expect((await call(sim, "GET", `/databases/${db.uuid}`)).body.status).toBe("running:healthy");
    expect((await call(sim, "POST", `/databases/${db.uuid}/start`)).body).toEqual({
      message: "Database is already running.",
    });
    expect((await call(sim, "POST", `/databases/${db.uuid}/stop`)).status).toBe(200);
    sim.control.step(100);
    expect((await call(sim, "GET", `/databases/${db.uuid}`)).body.status).toBe("exited");
    expect((await call(sim, "GET", `/databases/${db.uuid}/start`)).status).toBe(405);
  });
  it("instant_deploy starts it", async () => {
    const db = await makeDb(sim, project, { instant_deploy: true });
    sim.control.step(100);
    expect((await call(sim, "GET", `/databases/${db.uuid}`)).body.status).toBe("running:healthy");
  });
});
