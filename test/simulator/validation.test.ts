// Body check (notes 2.1, P25), 422 shapes (notes 2.6) and OpenAPI validation on/off (notes 1.1, 9.8).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Core } from "./core";
import { startSimulator } from "./index";
import { defaultOpenapiPath, OPENAPI_HINT, OpenApiValidator } from "./openapi";
import { SimServer } from "./server";
import { call, makeApp, makeProject, SERVER_UUID } from "./testkit";
import type { Simulator } from "./types";

const specPath = defaultOpenapiPath();

let sim: Simulator;
let plain: Simulator;
beforeAll(async () => {
  [sim, plain] = await Promise.all([startSimulator(), startSimulator({ openapiPath: null })]);
});
afterAll(async () => {
  await Promise.all([sim.close(), plain.close()]);
});
beforeEach(() => {
  sim.control.reset();
  plain.control.reset();
});

describe("JSON body check runs before validation (notes 2.1)", () => {
  it("empty object: 400 Empty JSON.", async () => {
    const r = await call(sim, "POST", "/projects", {});
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ message: "Invalid request.", error: "Empty JSON." });
  });
  it("empty body, broken JSON and [] are Invalid JSON.", async () => {
    for (const raw of ["", "{name:", "[]"]) {
      const r = await call(sim, "POST", "/projects", undefined, { raw });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ message: "Invalid request.", error: "Invalid JSON." });
    }
  });
  it("form-encoded body: Content-Type must be application/json (P25)", async () => {
    const r = await call(sim, "POST", "/projects", undefined, {
      raw: "name=abc",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ message: "Invalid request.", error: "Content-Type must be application/json." });
  });
  it("an empty PATCH is rejected too (never send one)", async () => {
    const p = await makeProject(sim);
    const r = await call(sim, "PATCH", `/projects/${p}`, {});
    expect(r.status).toBe(400);
  });
  it("ability check comes before the body check", async () => {
    const ro = sim.control.createToken({ abilities: ["read"] });
    expect((await call(sim, "POST", "/projects", {}, { token: ro })).status).toBe(403);
  });
});

describe("the 422 shapes (notes 2.6)", () => {
  it("(a) object of arrays, (b) object of strings, (c) bare array, (d) message only", async () => {
    const p = await makeProject(sim);
    const base = { project_uuid: p, server_uuid: SERVER_UUID, environment_name: "production" };
    const a = await call(sim, "POST", "/applications/dockerimage", {
      ...base,
      docker_registry_image_name: "x",
      bogus: 1,
    });
    expect(a.body).toEqual({
      message: "Validation failed.",
      errors: { bogus: ["This field is not allowed."] },
    });
    const b = await call(sim, "POST", "/applications/dockerimage", {
      ...base,
      docker_registry_image_name: "x",
      custom_labels: "not base64!",
    });
    expect(b.status).toBe(422);
    expect(typeof b.body.errors.custom_labels).toBe("string");
    const c = await call(sim, "POST", "/applications/dockerimage", {
      ...base,
      docker_registry_image_name: "x",
      domains: "gopher://x",
    });
    expect(Array.isArray(c.body.errors)).toBe(true);
    const d = await call(sim, "POST", "/applications/dockerimage", {
      project_uuid: p,
      server_uuid: SERVER_UUID,
      docker_registry_image_name: "x",
    });
    expect(d.body).toEqual({
      message: "You need to provide at least one of environment_name or environment_uuid.",
    });
  });
});

describe("OpenAPI validation (notes 1.1)", () => {
  it("has Coolify's OpenAPI document to validate against", () => {
    // Without it every simulator answers unchecked and "no response violations" proves nothing.
    if (!specPath) throw new Error(`no OpenAPI document found. ${OPENAPI_HINT}`);
  });
  it("wrong types are rejected with Laravel messages when on; only unknown fields when off", async () => {
    const p = await makeProject(sim);
    const body = {
      project_uuid: p,
      server_uuid: SERVER_UUID,
      environment_name: "production",
      docker_registry_image_name: "nginx",
      ports_exposes: 3000,
      health_check_enabled: "maybe",
      redirect: "sideways",
    };
    const r = await call(sim, "POST", "/applications/dockerimage", body);
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual({
      ports_exposes: ["The ports exposes field must be a string."],
      health_check_enabled: ["The health check enabled field must be true or false."],
      redirect: ["The selected redirect is invalid."],
    });
    // Laravel's integer and boolean rules accept "3000" and 1
    const ok = await makeApp(sim, p, { health_check_return_code: "200", health_check_enabled: 1 });
    expect(ok.uuid).toBeTruthy();
    // 24-char ids are not RFC 4122 uuids: format checks are off; null stays allowed
    const ok2 = await makeApp(sim, p, { description: null, limits_cpuset: null });
    expect(ok2.uuid).toBeTruthy();

    const p2 = await makeProject(plain);
    // validation off: type errors are not caught (documented as friendlier), unknown fields still are
    const loose = await call(plain, "POST", "/applications/dockerimage", { ...body, project_uuid: p2 });
    expect(loose.status).toBe(201);
    const unk = await call(plain, "POST", "/applications/dockerimage", {
      ...body,
      project_uuid: p2,
      bogus: true,
    });
    expect(unk.status).toBe(422);
    expect(unk.body.errors).toEqual({ bogus: ["This field is not allowed."] });
  });
  it("spec required lists are relaxed: environment_uuid alone is enough (notes 1.2)", async () => {
    const p = await makeProject(sim);
    const env = (await call(sim, "GET", `/projects/${p}`)).body.environments[0].uuid;
    const r = await call(sim, "POST", "/databases/postgresql", {
      project_uuid: p,
      server_uuid: SERVER_UUID,
      environment_uuid: env,
    });
    expect(r.status).toBe(201);
  });
  it("start-up after the first load is fast (cached document, lazy compile)", async () => {
    const t0 = Date.now();
    const s = await startSimulator();
    const ms = Date.now() - t0;
    await s.close();
    expect(ms).toBeLessThan(1000);
  });
});

describe("response validation (the check behind every responseViolations() assertion)", () => {
  it("flags an answer the spec does not allow, through the server", async () => {
    if (!specPath) throw new Error(`no OpenAPI document found. ${OPENAPI_HINT}`);
    const validator = OpenApiValidator.load(specPath);
    expect(validator.validateResponse("GET", "/projects/{uuid}", 200, { uuid: "p", name: "ok" })).toEqual([]);
    expect(validator.validateResponse("GET", "/projects/{uuid}", 200, { uuid: "p", name: 42 })).toEqual([
      "/name: must be string,null",
    ]);

    // A simulator whose store holds a value of the wrong type answers it, and the answer is caught.
    const core = new Core(
      { deleteDelayMs: 10, deploymentPhaseMs: 10, rateLimitPerMinute: 1000, version: "4.3.11", servers: 1 },
      validator,
    );
    const server = new SimServer(core);
    const http = createServer((req, res) => void server.handle(req, res));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v1`;
      const headers = {
        authorization: `Bearer ${core.rootToken}`,
        accept: "application/json",
        "content-type": "application/json",
      };
      const created = await fetch(`${url}/projects`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "valid project" }),
      });
      const { uuid } = (await created.json()) as { uuid: string };
      expect(server.st.responseViolations).toEqual([]);
      const row = core.store.projects.find((p) => p.uuid === uuid) as unknown as Record<string, unknown>;
      row.name = 42;
      expect((await fetch(`${url}/projects/${uuid}`, { headers })).status).toBe(200);
      expect(server.st.responseViolations).toEqual(["GET /projects/{uuid} 200 /name: must be string,null"]);
    } finally {
      await new Promise((r) => http.close(r));
    }
  });
});
