// Application environment variables (notes 4.6, section 7, P1 - P5).
import { describe, expect, it } from "vitest";
import { call, makeApp, makeProject, useSimulator } from "./testkit";

let app: string;
const sim = useSimulator({}, async (s) => {
  app = (await makeApp(s, await makeProject(s))).uuid;
});

type Env = { uuid: string; key: string; value?: string | null; is_preview: boolean } & Record<
  string,
  unknown
>;
const list = async (token?: string): Promise<Env[]> =>
  (await call(sim, "GET", `/applications/${app}/envs`, undefined, { token })).body;

describe("create", () => {
  it("201 {uuid} only, and a preview twin appears (P5); list is production first, then preview", async () => {
    const a = await call(sim, "POST", `/applications/${app}/envs`, { key: "A", value: " one " });
    expect(a.status).toBe(201);
    expect(Object.keys(a.body)).toEqual(["uuid"]);
    await call(sim, "POST", `/applications/${app}/envs`, {
      key: "B",
      value: "two",
      is_runtime: true,
      is_buildtime: false,
    });
    const envs = await list();
    expect(envs.map((e) => [e.key, e.is_preview])).toEqual([
      ["A", false],
      ["B", false],
      ["A", true],
      ["B", true],
    ]);
    expect(envs[0]?.value).toBe("one"); // values are trimmed
    expect(envs[0]).toMatchObject({ is_runtime: true, is_buildtime: true, is_literal: false });
    expect(envs[1]).toMatchObject({ is_buildtime: false });
    expect(envs[3]).toMatchObject({ value: "two", is_buildtime: false });
    expect(envs[0]).not.toHaveProperty("id");
  });
  it("409 on a duplicate key in the same scope", async () => {
    await call(sim, "POST", `/applications/${app}/envs`, { key: "A", value: "1" });
    const dup = await call(sim, "POST", `/applications/${app}/envs`, { key: "A", value: "2" });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      message: "Environment variable already exists. Use PATCH request to update it.",
    });
  });
  it("is_build_time is rejected with 422 not allowed (P1)", async () => {
    const r = await call(sim, "POST", `/applications/${app}/envs`, {
      key: "A",
      value: "1",
      is_build_time: true,
    });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      message: "Validation failed.",
      errors: { is_build_time: ["This field is not allowed."] },
    });
  });
  it("has no JSON body check: an empty body reaches the validator (notes 2.1)", async () => {
    const r = await call(sim, "POST", `/applications/${app}/envs`, undefined, { raw: "" });
    expect(r.status).toBe(422);
    expect(r.body.errors.key).toEqual(["This field is required."]);
  });
  it("deleting the production var leaves the preview twin (P5)", async () => {
    const a = await call(sim, "POST", `/applications/${app}/envs`, { key: "A", value: "1" });
    const d = await call(sim, "DELETE", `/applications/${app}/envs/${a.body.uuid}`);
    expect(d.body).toEqual({ message: "Environment variable deleted." });
    expect((await list()).map((e) => [e.key, e.is_preview])).toEqual([["A", true]]);
  });
});

describe("PATCH by key (P2 - P4)", () => {
  it("omitted value wipes it; omitted is_literal resets; is_multiline/is_shown_once follow the request", async () => {
    await call(sim, "POST", `/applications/${app}/envs`, {
      key: "A",
      value: "keep me",
      is_literal: true,
      is_multiline: true,
      comment: "c",
    });
    const r = await call(sim, "PATCH", `/applications/${app}/envs`, { key: "A", is_runtime: false });
    expect(r.status).toBe(201); // sic
    expect(r.body).toMatchObject({
      key: "A",
      value: null,
      is_literal: false,
      is_multiline: null,
      is_shown_once: null,
      is_runtime: false,
      comment: "c",
    });
    // the preview twin was not touched (is_preview omitted means production)
    const twin = (await list()).find((e) => e.is_preview);
    expect(twin?.value).toBe("keep me");
  });
  it("finds the variable by key; env uuid in the body is not allowed; unknown key 404", async () => {
    const a = await call(sim, "POST", `/applications/${app}/envs`, { key: "A", value: "1" });
    const withUuid = await call(sim, "PATCH", `/applications/${app}/envs`, {
      uuid: a.body.uuid,
      key: "A",
      value: "2",
    });
    expect(withUuid.status).toBe(422);
    expect(withUuid.body.errors.uuid).toEqual(["This field is not allowed."]);
    const nf = await call(sim, "PATCH", `/applications/${app}/envs`, { key: "NOPE", value: "2" });
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ message: "Environment variable not found." });
    const preview = await call(sim, "PATCH", `/applications/${app}/envs`, {
      key: "A",
      value: "p",
      is_preview: true,
    });
    expect(preview.body).toMatchObject({ is_preview: true, value: "p" });
  });
});

describe("bulk (notes 4.6, P1, P2)", () => {
  it("upserts by key, drops is_build_time silently, wipes omitted values, answers 201 array", async () => {
    await call(sim, "POST", `/applications/${app}/envs`, { key: "OLD", value: "old" });
    const r = await call(sim, "PATCH", `/applications/${app}/envs/bulk`, {
      data: [{ key: "OLD" }, { key: "NEW", value: "new", is_build_time: false, is_buildtime: false }],
    });
    expect(r.status).toBe(201);
    expect(r.body).toHaveLength(2);
    expect(r.body[0]).toMatchObject({ key: "OLD", value: null });
    expect(r.body[1]).toMatchObject({ key: "NEW", value: "new", is_buildtime: false });
    expect(r.body[1]).not.toHaveProperty("is_build_time");
    const keys = (await list()).map((e) => `${e.key}:${e.is_preview}`);
    expect(keys).toEqual(["OLD:false", "NEW:false", "OLD:true", "NEW:true"]);
  });
  it("missing data: 400 Bulk data is required.; not atomic on a bad item", async () => {
    const none = await call(sim, "PATCH", `/applications/${app}/envs/bulk`, { items: [] });
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ message: "Bulk data is required." });
    const bad = await call(sim, "PATCH", `/applications/${app}/envs/bulk`, {
      data: [
        { key: "GOOD", value: "1" },
        { key: "9bad", value: "2" },
      ],
    });
    expect(bad.status).toBe(422);
    expect((await list()).some((e) => e.key === "GOOD")).toBe(true);
  });
  it("has the JSON body check (400 Empty JSON.)", async () => {
    const r = await call(sim, "PATCH", `/applications/${app}/envs/bulk`, {});
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ message: "Invalid request.", error: "Empty JSON." });
  });
});

describe("hidden values (notes section 7)", () => {
  it("value and real_value are absent without a sensitive token, and for is_shown_once", async () => {
    await call(sim, "POST", `/applications/${app}/envs`, { key: "A", value: "secret", is_literal: true });
    await call(sim, "POST", `/applications/${app}/envs`, { key: "B", value: "once", is_shown_once: true });
    const reader = sim.control.createToken({ abilities: ["read"] });
    for (const e of await list(reader)) {
      expect(e).not.toHaveProperty("value");
      expect(e).not.toHaveProperty("real_value");
    }
    const root = await list();
    expect(root[0]).toMatchObject({ key: "A", value: "secret", real_value: "'secret'" });
    expect(root[1]).not.toHaveProperty("value");
  });
});
