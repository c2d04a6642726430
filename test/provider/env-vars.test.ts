import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Props } from "../../providers/coolify/src/provider/types";
import { envVarsImpl } from "../../providers/coolify/src/resources/env-vars";
import {
  checked,
  create,
  createTestApplication,
  type ProviderSim,
  requestsDuring,
  simApi,
  startProviderSim,
  useToken,
} from "./harness";

describe("EnvVars", () => {
  let p: ProviderSim;
  let appUuid: string;

  beforeAll(async () => {
    p = await startProviderSim();
    appUuid = await createTestApplication(p, "envs-app");
  });
  afterAll(async () => p.close());

  const productionValues = async () => {
    const list = await simApi<{ key: string; value: string; is_preview: boolean }[]>(
      p,
      "GET",
      `/applications/${appUuid}/envs`,
    );
    return Object.fromEntries(list.filter((e) => !e.is_preview).map((e) => [e.key, e.value]));
  };

  it("checks keys and build-time names", async () => {
    const r = await envVarsImpl.check(
      {},
      { applicationUuid: appUuid, variables: { "1BAD": "x", OK: " padded" } },
    );
    expect(r.failures.map((f) => f.property).sort()).toEqual(["variables.1BAD", "variables.OK"]);
    const b = await envVarsImpl.check(
      {},
      { applicationUuid: appUuid, variables: { OK: "x" }, buildtime: ["NOPE"] },
    );
    expect(b.failures).toEqual([
      { property: "buildtime", reason: "NOPE is not one of the declared variables" },
    ]);
  });

  it("check names the variables that differ from the last inputs, never their values", async () => {
    const olds = {
      applicationUuid: appUuid,
      variables: { LOG_LEVEL: "info", OPENAI_API_KEY: "sk-old-123", DROPPED: "x", SAME: "1", FLAG: "a" },
      buildtime: [],
    };
    const news = {
      applicationUuid: appUuid,
      variables: { LOG_LEVEL: "debug", OPENAI_API_KEY: "sk-new-456", ADDED: "y", SAME: "1", FLAG: "a" },
      buildtime: ["FLAG"],
    };
    const r = await envVarsImpl.check(olds, news);
    expect(r.failures).toEqual([]);
    expect(r.inputs.changedVariables).toEqual({
      ADDED: "add",
      DROPPED: "delete",
      FLAG: "update",
      LOG_LEVEL: "update",
      OPENAI_API_KEY: "update",
    });
    expect(JSON.stringify(r.inputs.changedVariables)).not.toMatch(/sk-|debug|info/);
    // A value not known yet (during preview: the database URL while the database is updated)
    // may or may not change: it is compared at apply. A create has nothing to compare.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const partial = await envVarsImpl.check(olds, {
      ...olds,
      variables: { ...olds.variables, SAME: unknown },
    });
    expect(partial.failures).toEqual([]);
    expect(partial.inputs.changedVariables).toEqual({ SAME: "unknown" });
    // An unknown value in a variable that is new, or whose locked flag flips, is a definite write.
    const flipped = await envVarsImpl.check(
      { ...olds, locked: [] },
      { ...olds, variables: { ...olds.variables, SAME: unknown, NEW: unknown }, locked: ["SAME"] },
    );
    expect(flipped.inputs.changedVariables).toEqual({ NEW: "add", SAME: "update" });
    expect((await envVarsImpl.check({}, news)).inputs.changedVariables).toBeUndefined();
    expect(
      (await envVarsImpl.check(olds, { ...news, variables: unknown })).inputs.changedVariables,
    ).toBeUndefined();
  });

  it("check counts locking or unlocking a variable as an update", async () => {
    const olds = {
      applicationUuid: appUuid,
      variables: { SECRET_SALT: "s1", MODEL_KEY: "k1", LOG_LEVEL: "info" },
      buildtime: [],
      locked: ["MODEL_KEY"],
    };
    const news = { ...olds, locked: ["SECRET_SALT"] };
    const r = await envVarsImpl.check(olds, news);
    expect(r.failures).toEqual([]);
    expect(r.inputs.changedVariables).toEqual({ MODEL_KEY: "update", SECRET_SALT: "update" });
    // The same set with nothing flipped names nothing.
    expect((await envVarsImpl.check(olds, olds)).inputs.changedVariables).toEqual({});
    // State from before locking has no `locked`: the first up locks those variables, so they are named.
    const { locked: _, ...beforeLocking } = olds;
    const first = await envVarsImpl.check(beforeLocking, olds);
    expect(first.inputs.changedVariables).toEqual({ MODEL_KEY: "update" });
  });

  it("writes the whole set in one bulk call and keeps no value in its outputs", async () => {
    const inputs = {
      applicationUuid: appUuid,
      variables: { OPENAI_API_KEY: "sk-test-123", LOG_LEVEL: "info" },
    };
    const holder: { c?: { id: string; outs: Props } } = {};
    const reqs = await requestsDuring(p.sim, async () => {
      holder.c = await create(envVarsImpl, inputs);
    });
    expect(reqs).toEqual([`PATCH /api/v1/applications/${appUuid}/envs/bulk`]);
    const c = holder.c as { id: string; outs: Props };
    expect(JSON.stringify(c.outs)).not.toContain("sk-test-123");
    expect(await productionValues()).toMatchObject({ OPENAI_API_KEY: "sk-test-123", LOG_LEVEL: "info" });
    expect((await envVarsImpl.diff(c.id, c.outs, await checked(envVarsImpl, inputs))).changes).toBe(false);

    // A changed value: one write, of that key only.
    const changed = await checked(envVarsImpl, {
      ...inputs,
      variables: { ...inputs.variables, LOG_LEVEL: "debug" },
    });
    expect((await envVarsImpl.diff(c.id, c.outs, changed)).changes).toBe(true);
    const upd = await requestsDuring(p.sim, async () => {
      holder.c = { id: c.id, outs: (await envVarsImpl.update(c.id, c.outs, changed)).outs };
    });
    expect(upd).toEqual([`PATCH /api/v1/applications/${appUuid}/envs/bulk`]);
    expect((await productionValues()).LOG_LEVEL).toBe("debug");
    expect(holder.c?.outs.digest).not.toBe(c.outs.digest);
  });

  it("owns only its keys: leaves hand-made variables alone and removes dropped ones", async () => {
    await simApi(p, "POST", `/applications/${appUuid}/envs`, { key: "BY_HAND", value: "keep me" });
    const c = await create(envVarsImpl, { applicationUuid: appUuid, variables: { A: "1", B: "2" } });
    const dropB = await checked(envVarsImpl, { applicationUuid: appUuid, variables: { A: "1" } });
    await envVarsImpl.update(c.id, c.outs, dropB);
    const values = await productionValues();
    expect(values.B).toBeUndefined();
    expect(values.BY_HAND).toBe("keep me");
    await envVarsImpl.delete(c.id, { ...c.outs, keys: ["A"] });
    const after = await productionValues();
    expect(after.A).toBeUndefined();
    expect(after.BY_HAND).toBe("keep me");
  });

  it("detects a value changed out of band with a sensitive token; a weak token keeps the stored hash", async () => {
    const c = await create(envVarsImpl, { applicationUuid: appUuid, variables: { DRIFT: "v1" } });
    await simApi(p, "PATCH", `/applications/${appUuid}/envs`, {
      key: "DRIFT",
      value: "tampered",
      is_preview: false,
      is_literal: true,
    });
    const inputs = await checked(envVarsImpl, { applicationUuid: appUuid, variables: { DRIFT: "v1" } });
    const sensitive = await envVarsImpl.read(c.id, c.outs);
    expect((await envVarsImpl.diff(c.id, sensitive.props as Props, inputs)).changes).toBe(true);

    useToken(p.sim.control.createToken({ abilities: ["read", "write", "deploy"] }));
    try {
      const weak = await envVarsImpl.read(c.id, c.outs);
      expect((await envVarsImpl.diff(c.id, weak.props as Props, inputs)).changes).toBe(false);
    } finally {
      useToken(p.sim.rootToken);
    }
  });
});
