// Applications (notes 4.5, section 5, 2.6, P7 - P9, P12, P15, P31, P34).
import { describe, expect, it } from "vitest";
import { call, makeApp, makeProject, SERVER_UUID, useSimulator } from "./testkit";

let project: string;
const sim = useSimulator({}, async (s) => {
  project = await makeProject(s);
});

const placement = () => ({ project_uuid: project, server_uuid: SERVER_UUID, environment_name: "production" });
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("create variants answer 201 {uuid, domains} (notes 1.2, 4.5.1)", () => {
  it("dockerimage: image split into name and tag, tag defaults to latest (P31)", async () => {
    const r = await call(sim, "POST", "/applications/dockerimage", {
      ...placement(),
      docker_registry_image_name: "ghcr.io/elizaos/eliza:v1.7.2",
      ports_exposes: "3000",
      domains: "https://Agent.Example.com",
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["domains", "uuid"]);
    expect(r.body.domains).toBe("https://agent.example.com");
    const g = await call(sim, "GET", `/applications/${r.body.uuid}`);
    expect(g.body.docker_registry_image_name).toBe("ghcr.io/elizaos/eliza");
    expect(g.body.docker_registry_image_tag).toBe("v1.7.2");
    expect(g.body.build_pack).toBe("dockerimage");
    expect(g.body.name).toBe(`docker-image-${r.body.uuid}`);
    const plain = await makeApp(sim, project, {
      docker_registry_image_name: "nginx",
      autogenerate_domain: false,
    });
    const g2 = await call(sim, "GET", `/applications/${plain.uuid}`);
    expect(g2.body.docker_registry_image_tag).toBe("latest");
  });
  it("dockerfile: ports_exposes is always stored as 80 (P34)", async () => {
    const r = await call(sim, "POST", "/applications/dockerfile", {
      ...placement(),
      dockerfile: b64("FROM node:22\nEXPOSE 3000\n"),
      ports_exposes: "3000",
    });
    expect(r.status).toBe(201);
    const g = await call(sim, "GET", `/applications/${r.body.uuid}`);
    expect(g.body.ports_exposes).toBe("80");
    expect(g.body.build_pack).toBe("dockerfile");
  });
  it("dockerfile must be base64: 422 shape (b)", async () => {
    const r = await call(sim, "POST", "/applications/dockerfile", {
      ...placement(),
      dockerfile: "FROM node:22 !",
    });
    expect(r.status).toBe(422);
    expect(typeof r.body.errors.dockerfile).toBe("string");
  });
  it("public git: github.com URLs stored as owner/repo; nixpacks adds NIXPACKS_NODE_VERSION + twin", async () => {
    const r = await call(sim, "POST", "/applications/public", {
      ...placement(),
      git_repository: "https://github.com/elizaOS/eliza.git",
      git_branch: "main",
      build_pack: "nixpacks",
    });
    expect(r.status).toBe(201);
    const g = await call(sim, "GET", `/applications/${r.body.uuid}`);
    expect(g.body.git_repository).toBe("elizaOS/eliza");
    const envs = await call(sim, "GET", `/applications/${r.body.uuid}/envs`);
    expect(envs.body.map((e: { key: string; is_preview: boolean }) => [e.key, e.is_preview])).toEqual([
      ["NIXPACKS_NODE_VERSION", false],
      ["NIXPACKS_NODE_VERSION", true],
    ]);
  });
  it("public git: missing variant fields 422 after the placement checks", async () => {
    const r = await call(sim, "POST", "/applications/public", { ...placement(), git_branch: "main" });
    expect(r.status).toBe(422);
    expect(r.body.errors.git_repository).toEqual(["This field is required."]);
    expect(r.body.errors.build_pack).toEqual(["This field is required."]);
  });
  it("either environment_name or environment_uuid; neither gives 422 shape (d)", async () => {
    const proj = await call(sim, "GET", `/projects/${project}`);
    const envUuid = proj.body.environments[0].uuid;
    const ok = await makeApp(sim, project, { environment_name: undefined, environment_uuid: envUuid });
    expect(ok.uuid).toMatch(/^[a-z0-9]{24}$/);
    const r = await call(sim, "POST", "/applications/dockerimage", {
      project_uuid: project,
      server_uuid: SERVER_UUID,
      docker_registry_image_name: "nginx",
    });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      message: "You need to provide at least one of environment_name or environment_uuid.",
    });
    const nf = await call(sim, "POST", "/applications/dockerimage", {
      ...placement(),
      environment_name: "nope",
      docker_registry_image_name: "nginx",
    });
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ message: "Environment not found." });
  });
});

describe("autogenerate_domain (notes section 5, P8)", () => {
  it("defaults to true: http://<uuid>.<ip>.sslip.io", async () => {
    const app = await makeApp(sim, project);
    expect(app.domains).toBe(`http://${app.uuid}.192.0.2.10.sslip.io`);
    const g = await call(sim, "GET", `/applications/${app.uuid}`);
    expect(g.body.fqdn).toBe(app.domains);
    expect(g.body).not.toHaveProperty("domains");
  });
  it("false leaves fqdn null", async () => {
    const app = await makeApp(sim, project, { autogenerate_domain: false });
    expect(app.domains).toBeNull();
  });
});

describe("domains: normalisation, 422 shape (c), 409 conflicts (notes section 5, P12)", () => {
  it("normalises: trims, drops empty entries, lower-cases scheme and host, keeps path case", async () => {
    const app = await makeApp(sim, project, {
      domains: " HTTPS://A.Example.com/Path , ,http://b.example.com:3000,",
    });
    expect(app.domains).toBe("https://a.example.com/Path,http://b.example.com:3000");
  });
  it("invalid URLs give 422 with a bare errors array", async () => {
    const r = await call(sim, "POST", "/applications/dockerimage", {
      ...placement(),
      docker_registry_image_name: "nginx",
      domains: "ftp://x.example.com,not a url",
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe("Validation failed.");
    expect(r.body.errors).toEqual([
      "Invalid URL scheme: ftp for URL: ftp://x.example.com. Only http and https are supported.",
      "Invalid URL: not a url",
    ]);
  });
  it("409 team-wide on an exact match (trailing / ignored); http vs https do not conflict", async () => {
    const first = await makeApp(sim, project, { name: "first", domains: "https://agent.example.com" });
    const other = await makeProject(sim, "other project");
    const r = await call(sim, "POST", "/applications/dockerimage", {
      project_uuid: other,
      server_uuid: SERVER_UUID,
      environment_name: "production",
      docker_registry_image_name: "nginx",
      domains: "https://agent.example.com/",
    });
    expect(r.status).toBe(409);
    expect(r.body.message).toBe("Domain conflicts detected. Use force_domain_override=true to proceed.");
    expect(r.body.conflicts[0]).toMatchObject({
      domain: "https://agent.example.com/",
      resource_name: "first",
      resource_uuid: first.uuid,
      resource_type: "application",
    });
    expect(typeof r.body.warning).toBe("string");
    const http = await makeApp(sim, other, { domains: "http://agent.example.com" });
    expect(http.domains).toBe("http://agent.example.com");
    const forced = await makeApp(sim, other, {
      domains: "https://agent.example.com",
      force_domain_override: true,
    });
    expect(forced.domains).toBe("https://agent.example.com");
    // another team may use the same domain
    const t = sim.control.createToken({ abilities: ["root"], teamId: 5 });
    const s = await call(sim, "GET", "/servers", undefined, { token: t });
    expect(s.body).toEqual([]);
  });
  it('PATCH domains: conflict check excludes the app itself; "" clears fqdn (P7)', async () => {
    const a = await makeApp(sim, project, { domains: "https://a.example.com" });
    const b = await makeApp(sim, project, { domains: "https://b.example.com" });
    expect(
      (await call(sim, "PATCH", `/applications/${a.uuid}`, { domains: "https://a.example.com" })).status,
    ).toBe(200);
    const clash = await call(sim, "PATCH", `/applications/${a.uuid}`, { domains: "https://b.example.com" });
    expect(clash.status).toBe(409);
    expect(clash.body.conflicts[0].resource_uuid).toBe(b.uuid);
    const cleared = await call(sim, "PATCH", `/applications/${a.uuid}`, { domains: "" });
    expect(cleared.status).toBe(200);
    expect((await call(sim, "GET", `/applications/${a.uuid}`)).body.fqdn).toBeNull();
  });
});

describe("read shapes (notes 4.5.2)", () => {
  it("settings only on single GET; list ordered by name; id hidden", async () => {
    await makeApp(sim, project, { name: "zeta" });
    const a = await makeApp(sim, project, {
      name: "alpha",
      is_force_https_enabled: false,
      stop_grace_period: 30,
    });
    const list = await call(sim, "GET", "/applications");
    expect(list.body.map((x: { name: string }) => x.name)).toEqual(["alpha", "zeta"]);
    expect(list.body[0]).not.toHaveProperty("settings");
    expect(list.body[0]).not.toHaveProperty("id");
    const one = await call(sim, "GET", `/applications/${a.uuid}`);
    expect(one.body.settings).toMatchObject({ is_force_https_enabled: false, stop_grace_period: 30 });
    expect(one.body).not.toHaveProperty("is_force_https_enabled");
    expect(one.body.status).toBe("exited");
    expect(one.body.server_status).toBe(true);
  });
  it("sensitive fields hidden without read:sensitive (notes 7)", async () => {
    const a = await makeApp(sim, project, {
      custom_labels: b64("traefik.enable=true"),
      is_http_basic_auth_enabled: true,
      http_basic_auth_username: "u",
      http_basic_auth_password: "secret-pass",
      manual_webhook_secret_github: "hook",
    });
    const reader = sim.control.createToken({ abilities: ["read"] });
    const r = await call(sim, "GET", `/applications/${a.uuid}`, undefined, { token: reader });
    for (const k of [
      "http_basic_auth_password",
      "custom_labels",
      "manual_webhook_secret_github",
      "dockerfile",
    ])
      expect(r.body).not.toHaveProperty(k);
    expect(r.body.http_basic_auth_username).toBe("u");
    const root = await call(sim, "GET", `/applications/${a.uuid}`);
    expect(root.body.http_basic_auth_password).toBe("secret-pass");
    expect(root.body.destination.server.settings.is_usable).toBe(true);
    // read:sensitive only counts for admins and owners
    const member = sim.control.createToken({ abilities: ["read"], role: "member" });
    const m = await call(sim, "GET", `/applications/${a.uuid}`, undefined, { token: member });
    expect(m.body).not.toHaveProperty("http_basic_auth_password");
    const sens = sim.control.createToken({ abilities: ["read", "read:sensitive"], role: "admin" });
    const s = await call(sim, "GET", `/applications/${a.uuid}`, undefined, { token: sens });
    expect(s.body.http_basic_auth_password).toBe("secret-pass");
  });
});

describe("PATCH (notes 4.5.3)", () => {
  it("answers 200 {uuid} only", async () => {
    const a = await makeApp(sim, project);
    const r = await call(sim, "PATCH", `/applications/${a.uuid}`, { name: "renamed", ports_exposes: "8080" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ uuid: a.uuid });
    const g = await call(sim, "GET", `/applications/${a.uuid}`);
    expect(g.body.name).toBe("renamed");
    expect(g.body.ports_exposes).toBe("8080");
  });
  it("create-only fields are not allowed (notes 1.2)", async () => {
    const a = await makeApp(sim, project);
    const r = await call(sim, "PATCH", `/applications/${a.uuid}`, {
      project_uuid: project,
      server_uuid: SERVER_UUID,
      autogenerate_domain: false,
      dockerfile: "eA==",
    });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual({
      project_uuid: ["This field is not allowed."],
      server_uuid: ["This field is not allowed."],
      autogenerate_domain: ["This field is not allowed."],
      dockerfile: ["This field is not allowed."],
    });
  });
  it("ports_exposes must be numeric: 422 shape (b)", async () => {
    const a = await makeApp(sim, project);
    const r = await call(sim, "PATCH", `/applications/${a.uuid}`, { ports_exposes: "http" });
    expect(r.status).toBe(422);
    expect(typeof r.body.errors.ports_exposes).toBe("string");
  });
  it("404 without a full stop on update, with one on get (notes 2.6)", async () => {
    expect((await call(sim, "PATCH", "/applications/nope", { name: "x" })).body).toEqual({
      message: "Application not found",
    });
    expect((await call(sim, "GET", "/applications/nope")).body).toEqual({
      message: "Application not found.",
    });
  });
});

describe("POST-only actions (P15)", () => {
  it("GET on start/stop/restart gives 405 with Allow: POST", async () => {
    const a = await makeApp(sim, project);
    for (const action of ["start", "stop", "restart"]) {
      const r = await call(sim, "GET", `/applications/${a.uuid}/${action}`);
      expect(r.status).toBe(405);
      expect(r.body).toEqual({ message: "This endpoint has changed to a POST request." });
      expect(r.headers.get("allow")).toBe("POST");
    }
    expect((await call(sim, "GET", `/deploy?uuid=${a.uuid}`)).status).toBe(405);
  });
});
