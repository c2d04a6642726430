// Readonly container labels (Coolify 4.3.11 ApplicationsController; notes in container-labels.ts).
import { describe, expect, it } from "vitest";
import { call, makeApp, makeProject, useSimulator } from "./testkit";

let project: string;
const sim = useSimulator({}, async (s) => {
  project = await makeProject(s);
});
const b64 = (s: string) => Buffer.from(s).toString("base64");
const ours = b64("traefik.enable=true\ntraefik.http.middlewares.mine.headers.stsSeconds=60");
const labelsOf = async (uuid: string) => (await call(sim, "GET", `/applications/${uuid}`)).body.custom_labels;

describe("readonly labels, Coolify's default", () => {
  it("replace custom labels sent on create with the generated ones, as plain text", async () => {
    const a = await makeApp(sim, project, {
      domains: "https://labels.example.com",
      ports_exposes: "3000",
      custom_labels: ours,
    });
    const stored = String(await labelsOf(a.uuid));
    expect(stored).not.toBe(ours);
    expect(stored).toContain(
      `traefik.http.routers.https-0-${a.uuid}.rule=Host(\`labels.example.com\`) && PathPrefix(\`/\`)`,
    );
    expect(stored).toContain(`traefik.http.routers.http-0-${a.uuid}.middlewares=redirect-to-https`);
    expect(stored).toContain(`traefik.http.services.https-0-${a.uuid}.loadbalancer.server.port=3000`);
    expect(stored).toContain("caddy_0=https://labels.example.com");
    expect(stored).toContain("caddy_ingress_network=coolify");
  });

  it("keep custom labels sent in a PATCH without domains, and regenerate on a PATCH with domains", async () => {
    const a = await makeApp(sim, project, { domains: "https://patch.example.com", ports_exposes: "3000" });
    expect((await call(sim, "PATCH", `/applications/${a.uuid}`, { custom_labels: ours })).status).toBe(200);
    expect(await labelsOf(a.uuid)).toBe(ours);
    await call(sim, "PATCH", `/applications/${a.uuid}`, { limits_memory: "1g" });
    expect(await labelsOf(a.uuid)).toBe(ours);
    // Custom labels and domains in one request: the generated labels win.
    await call(sim, "PATCH", `/applications/${a.uuid}`, {
      custom_labels: ours,
      domains: "https://patch.example.com",
    });
    expect(String(await labelsOf(a.uuid))).toContain(`https-0-${a.uuid}`);
  });

  it("are hidden from a token without read:sensitive", async () => {
    const a = await makeApp(sim, project, { domains: "https://hidden.example.com", ports_exposes: "3000" });
    const reader = sim.control.createToken({ abilities: ["read"] });
    const r = await call(sim, "GET", `/applications/${a.uuid}`, undefined, { token: reader });
    expect(r.body).not.toHaveProperty("custom_labels");
  });

  it("refuse labels that are not base64", async () => {
    const a = await makeApp(sim, project, { domains: "https://bad.example.com", ports_exposes: "3000" });
    const r = await call(sim, "PATCH", `/applications/${a.uuid}`, { custom_labels: "traefik.enable=true" });
    expect(r.status).toBe(422);
    expect(r.body.errors.custom_labels).toBe("The custom_labels should be base64 encoded.");
  });
});
