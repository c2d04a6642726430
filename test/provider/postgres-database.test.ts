import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Props } from "../../providers/coolify/src/provider/types";
import { postgresDatabaseImpl } from "../../providers/coolify/src/resources/postgres-database";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import {
  checked,
  create,
  type ProviderSim,
  requestsDuring,
  simApi,
  startProviderSim,
  useToken,
} from "./harness";

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

  it("a database that never turns healthy fails up after the bound, and the next up waits on the same one", async () => {
    // A project made by an earlier provider process (this one would skip the lookup in a project
    // it created itself: nothing can be in it yet).
    const { uuid: projectUuid } = await simApi<{ uuid: string }>(p, "POST", "/projects", { name: "slow db" });
    const inputs = { ...base, projectUuid, name: "slow-db", owner: "t/dev/slow-db" };
    // The simulator's clock stands still: the database stays "starting" for good. The provider's
    // 600 s bound runs on ELIZA_COOLIFY_POLL_SCALE (0.005 here): 3 s.
    p.sim.control.setClockSpeed(0);
    const failed = (await create(postgresDatabaseImpl, inputs).catch((e: unknown) => e)) as Error;
    p.sim.control.setClockSpeed(1);
    expect(failed).toBeInstanceOf(Error);
    expect(failed.message).toMatch(
      /^Database "slow-db" \(\w+\) is "starting:unknown" 600 s after it was created; it never became running:healthy, so no agent was deployed against it\./,
    );
    expect(failed.message).toContain("run `pulumi up` again: the database is kept and waited on again");
    const mine = () => p.sim.control.state().databases.filter((d) => d.name === "slow-db");
    expect(mine()).toHaveLength(1);
    const uuid = String(mine()[0]?.uuid);

    // The next up finds it by its marker. Its password was generated by the run that failed and
    // is read back from Coolify, which shows it only to a token with read:sensitive.
    useToken(p.sim.control.createToken({ abilities: ["read", "write", "deploy"] }));
    try {
      await expect(create(postgresDatabaseImpl, inputs)).rejects.toThrow(
        /cannot read its password .*read:sensitive.*Nothing was changed/s,
      );
    } finally {
      useToken(p.sim.rootToken);
    }
    const again = await create(postgresDatabaseImpl, inputs);
    expect(again.id).toBe(uuid);
    expect(again.outs.status).toBe("running:healthy");
    expect(mine()).toHaveLength(1);
    const stored = String(mine()[0]?.postgres_password);
    expect(again.outs.password).toBe(stored);
    expect(again.outs.internalUrl).toBe(`postgres://eliza:${stored}@${uuid}:5432/eliza`);
  });
});
