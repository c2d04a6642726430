// The Application resource's front door: custom labels written past Coolify's readonly labels,
// no diff once applied, drift seen on refresh, Coolify's own labels back when it is removed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLabels } from "../../providers/coolify/src/provider/proxy-labels";
import type { Props } from "../../providers/coolify/src/provider/types";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
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

const proxy = {
  rateLimit: { average: 100, periodSeconds: 60, burst: 50, excludePaths: ["/health"] },
  securityHeaders: { contentTypeNosniff: true, frameOptions: "DENY" },
  maxBodyBytes: 1048576,
};

describe("Application with a front door", () => {
  let p: ProviderSim;
  let base: Props;
  const stored = (id: string) => {
    const a = p.sim.control.state().applications.find((x) => x.uuid === id) as Props | undefined;
    return decodeLabels(a?.custom_labels as string | undefined);
  };
  const inputs = (name: string, over: Props = {}) => ({
    ...base,
    name,
    owner: `t/dev/${name}`,
    domains: [`https://${name}.example.com`],
    ...over,
  });

  beforeAll(async () => {
    p = await startProviderSim();
    const project = await create(projectImpl, { name: "front-door", owner: "t/dev/front-door" });
    base = {
      projectUuid: project.id,
      environment: "production",
      serverUuid: p.serverUuid,
      source: { type: "dockerimage", image: "ghcr.io/example/agent:1.7.2" },
      port: 3000,
      domains: ["https://fd.example.com"],
      proxy,
    };
  });
  afterAll(async () => p.close());

  it("creates, then writes the labels in a PATCH of their own (Coolify regenerates them on create)", async () => {
    const holder: { c?: { id: string; outs: Props } } = {};
    const reqs = await requestsDuring(p.sim, async () => {
      holder.c = await create(applicationImpl, inputs("create"));
    });
    const c = holder.c as { id: string; outs: Props };
    expect(reqs).toEqual(["POST /api/v1/applications/dockerimage", `PATCH /api/v1/applications/${c.id}`]);
    const labels = stored(c.id);
    expect(labels).toEqual(c.outs.proxyLabels);
    expect(labels).toContain(
      `traefik.http.routers.https-0-${c.id}.rule=Host(\`create.example.com\`) && PathPrefix(\`/\`)`,
    );
    expect(labels).toContain(`traefik.http.middlewares.fd-ratelimit-${c.id}.ratelimit.average=100`);

    // No diff, before or after a refresh.
    const news = await checked(applicationImpl, inputs("create"));
    expect((await applicationImpl.diff(c.id, c.outs, news)).changes).toBe(false);
    const r = await applicationImpl.read(c.id, c.outs);
    expect((await applicationImpl.diff(c.id, r.props as Props, news)).changes).toBe(false);
  });

  it("a changed setting is one PATCH of the labels", async () => {
    const c = await create(applicationImpl, inputs("change"));
    const news = await checked(
      applicationImpl,
      inputs("change", { proxy: { ...proxy, maxBodyBytes: 4096 } }),
    );
    expect((await applicationImpl.diff(c.id, c.outs, news)).changes).toBe(true);
    const reqs = await requestsDuring(p.sim, () => applicationImpl.update(c.id, c.outs, news));
    expect(reqs).toEqual([`PATCH /api/v1/applications/${c.id}`]);
    expect(stored(c.id)).toContain(
      `traefik.http.middlewares.fd-body-${c.id}.buffering.maxRequestBodyBytes=4096`,
    );
  });

  it("a changed domain is a PATCH of the domains, then one of the labels Coolify has just replaced", async () => {
    const c = await create(applicationImpl, inputs("move"));
    const news = await checked(applicationImpl, inputs("move", { domains: ["https://moved.example.com"] }));
    const u = { outs: {} as Props };
    const reqs = await requestsDuring(p.sim, async () => {
      u.outs = (await applicationImpl.update(c.id, c.outs, news)).outs as Props;
    });
    expect(reqs).toEqual([`PATCH /api/v1/applications/${c.id}`, `PATCH /api/v1/applications/${c.id}`]);
    const labels = stored(c.id);
    expect(labels.some((l) => l.includes("Host(`moved.example.com`)"))).toBe(true);
    expect(labels).toContain(`traefik.http.middlewares.fd-ratelimit-${c.id}.ratelimit.burst=50`);
    expect((await applicationImpl.diff(c.id, u.outs, news)).changes).toBe(false);
  });

  it("labels replaced in Coolify (its own regeneration) show as a change after a refresh, and update restores them", async () => {
    const c = await create(applicationImpl, inputs("drift"));
    // A hand-made PATCH with domains: readonly labels put Coolify's generated set back.
    await simApi(p, "PATCH", `/applications/${c.id}`, {
      domains: "https://drift.example.com",
      force_domain_override: true,
    });
    expect(stored(c.id).some((l) => l.includes("fd-ratelimit"))).toBe(false);
    const r = await applicationImpl.read(c.id, c.outs);
    const news = await checked(applicationImpl, inputs("drift"));
    expect((await applicationImpl.diff(c.id, r.props as Props, news)).changes).toBe(true);
    await applicationImpl.update(c.id, r.props as Props, news);
    expect(stored(c.id)).toEqual(c.outs.proxyLabels);
  });

  it("removing the front door has Coolify regenerate its own labels", async () => {
    const c = await create(applicationImpl, inputs("remove"));
    const news = await checked(applicationImpl, inputs("remove", { proxy: undefined }));
    expect((await applicationImpl.diff(c.id, c.outs, news)).changes).toBe(true);
    const u = await applicationImpl.update(c.id, c.outs, news);
    const labels = stored(c.id);
    expect(labels.some((l) => l.includes("fd-"))).toBe(false);
    expect(labels).toContain(`traefik.http.routers.https-0-${c.id}.middlewares=gzip`);
    expect((await applicationImpl.diff(c.id, u.outs as Props, news)).changes).toBe(false);
  });

  it("without read:sensitive the labels it wrote stand, and there is no diff", async () => {
    const c = await create(applicationImpl, inputs("hidden"));
    useToken(p.sim.control.createToken({ abilities: ["read", "write", "deploy"] }));
    try {
      const r = await applicationImpl.read(c.id, c.outs);
      const news = await checked(applicationImpl, inputs("hidden"));
      expect((await applicationImpl.diff(c.id, r.props as Props, news)).changes).toBe(false);
    } finally {
      useToken(p.sim.rootToken);
    }
  });
});
