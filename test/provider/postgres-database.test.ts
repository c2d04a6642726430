import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Props } from "../../providers/coolify/src/provider/types";
import { postgresDatabaseImpl } from "../../providers/coolify/src/resources/postgres-database";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { checked, create, type ProviderSim, requestsDuring, startProviderSim, useToken } from "./harness";

describe("PostgresDatabase", () => {
  let p: ProviderSim;
  let base: Props;

  beforeAll(async () => {
    p = await startProviderSim();
    const project = await create(projectImpl, { name: "dbs", owner: "t/dev/dbs" });
    base = {
      projectUuid: project.id,
      environment: "production",
      serverUuid: p.serverUuid,
      name: "agent-db",
      limits: { memory: "512m" },
      owner: "t/dev/agent-db",
    };
  });
  afterAll(async () => p.close());

  const db = (id: string) => p.sim.control.state().databases.find((d) => d.uuid === id) as Props | undefined;

  it("rejects bad identifiers and passwords, naming the property", async () => {
    const r = await postgresDatabaseImpl.check(
      {},
      { ...base, user: "app-first", password: "has space", isPublic: true },
    );
    expect(r.failures.map((f) => f.property).sort()).toEqual(["password", "publicPort", "user"]);
  });

  it("creates a started pgvector database with a generated password in one write, then waits until it is healthy", async () => {
    const holder: { c?: { id: string; outs: Props } } = {};
    const reqs = await requestsDuring(p.sim, async () => {
      holder.c = await create(postgresDatabaseImpl, base);
    });
    const c = holder.c as { id: string; outs: Props };
    expect(reqs[0]).toBe("POST /api/v1/databases/postgresql");
    expect(reqs.length).toBeGreaterThan(1);
    expect(new Set(reqs.slice(1))).toEqual(new Set([`GET /api/v1/databases/${c.id}`]));
    expect(c.outs.status).toBe("running:healthy");
    expect(db(c.id)?.status).toBe("running:healthy");
    expect(db(c.id)?.image).toBe("pgvector/pgvector:0.8.0-pg17");
    expect(String(c.outs.password)).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(c.outs.internalUrl).toBe(`postgres://eliza:${c.outs.password}@${c.id}:5432/eliza`);

    const news = await checked(postgresDatabaseImpl, base);
    expect((await postgresDatabaseImpl.diff(c.id, c.outs, news)).changes).toBe(false);
    const r = await postgresDatabaseImpl.read(c.id, c.outs);
    expect((await postgresDatabaseImpl.diff(c.id, r.props as Props, news)).changes).toBe(false);
  });

  it("patches and restarts on an image change, replaces on credential changes", async () => {
    const c = await create(postgresDatabaseImpl, { ...base, name: "db2", owner: "t/dev/db2" });
    const newImage = await checked(postgresDatabaseImpl, {
      ...base,
      name: "db2",
      owner: "t/dev/db2",
      image: "pgvector/pgvector:0.8.1-pg17",
    });
    expect(await postgresDatabaseImpl.diff(c.id, c.outs, newImage)).toMatchObject({
      changes: true,
      replaces: [],
    });
    const reqs = await requestsDuring(p.sim, () => postgresDatabaseImpl.update(c.id, c.outs, newImage));
    expect(reqs).toEqual([`PATCH /api/v1/databases/${c.id}`, `POST /api/v1/databases/${c.id}/restart`]);

    const newUser = await checked(postgresDatabaseImpl, {
      ...base,
      name: "db2",
      owner: "t/dev/db2",
      user: "other",
    });
    expect((await postgresDatabaseImpl.diff(c.id, c.outs, newUser)).replaces).toEqual(["user"]);
    const newPassword = await checked(postgresDatabaseImpl, {
      ...base,
      name: "db2",
      owner: "t/dev/db2",
      password: "Secret123",
    });
    expect((await postgresDatabaseImpl.diff(c.id, c.outs, newPassword)).replaces).toEqual(["password"]);
  });

  it("keeps secrets when the token cannot read them, and is found gone once the queued delete has run", async () => {
    const c = await create(postgresDatabaseImpl, { ...base, name: "db3", owner: "t/dev/db3" });
    useToken(p.sim.control.createToken({ abilities: ["read", "write", "deploy"] }));
    try {
      const r = await postgresDatabaseImpl.read(c.id, c.outs);
      expect(r.props?.password).toBe(c.outs.password);
      expect(r.props?.internalUrl).toBe(c.outs.internalUrl);
      await postgresDatabaseImpl.delete(c.id, c.outs);
      await new Promise((r) => setTimeout(r, 120)); // Coolify's delete job
      expect(db(c.id)).toBeUndefined();
      // Not dropped from state: a lost database is never replaced by an empty one unasked.
      const gone = await postgresDatabaseImpl.read(c.id, c.outs);
      expect(gone.props?.lost).toBe(true);
      expect(gone.inputs).toMatchObject({ lost: true, name: "db3" });
      expect(gone.inputs).not.toHaveProperty("password");
      const declared = { ...base, name: "db3", owner: "t/dev/db3" };
      await expect(postgresDatabaseImpl.check(gone.inputs as Props, declared)).rejects.toThrow(
        /deleted outside Pulumi.*databaseRecreateIfLost/s,
      );
      const accepted = await checked(
        postgresDatabaseImpl,
        { ...declared, recreateIfLost: true },
        gone.inputs,
      );
      expect(await postgresDatabaseImpl.diff(c.id, gone.props as Props, accepted)).toMatchObject({
        changes: true,
        replaces: ["lost"],
      });
      await postgresDatabaseImpl.delete(c.id, gone.props as Props); // nothing left to delete
    } finally {
      useToken(p.sim.rootToken);
    }
  });
});
