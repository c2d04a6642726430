import { describe, expect, it } from "vitest";
import { caddyLabels, decodeLabels, encodeLabels, labelsFor, traefikLabels } from "./proxy-labels";

const uuid = "abc123def456ghi789jkl012";
const target = { uuid, domains: ["https://bod.example.com"], port: 3000 };
const full = {
  rateLimit: { average: 100, periodSeconds: 60, burst: 50, excludePaths: ["/health", "/healthz"] },
  securityHeaders: {
    hsts: { maxAge: 31536000, includeSubdomains: true, preload: false },
    contentTypeNosniff: true,
    frameOptions: "DENY" as const,
    referrerPolicy: "strict-origin-when-cross-origin",
  },
  maxBodyBytes: 1048576,
};

describe("Traefik labels", () => {
  const labels = traefikLabels(target, full);
  const value = (key: string) => labels.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);

  it("keep Coolify's routing: routers, entry points, TLS resolver, port, redirect, gzip", () => {
    const https = `traefik.http.routers.https-0-${uuid}`;
    const http = `traefik.http.routers.http-0-${uuid}`;
    expect(value("traefik.enable")).toBe("true");
    expect(value(`${https}.rule`)).toBe("Host(`bod.example.com`) && PathPrefix(`/`)");
    expect(value(`${https}.entryPoints`)).toBe("https");
    expect(value(`${https}.tls`)).toBe("true");
    expect(value(`${https}.tls.certresolver`)).toBe("letsencrypt");
    expect(value(`traefik.http.services.https-0-${uuid}.loadbalancer.server.port`)).toBe("3000");
    expect(value(`${http}.entryPoints`)).toBe("http");
    expect(value(`${http}.middlewares`)).toBe("redirect-to-https");
    expect(value("traefik.http.middlewares.redirect-to-https.redirectscheme.scheme")).toBe("https");
    expect(value("traefik.http.middlewares.gzip.compress")).toBe("true");
  });

  it("put headers, rate limit and body limit on the https router", () => {
    expect(value(`traefik.http.routers.https-0-${uuid}.middlewares`)).toBe(
      `gzip,fd-headers-${uuid},fd-ratelimit-${uuid},fd-body-${uuid}`,
    );
    const h = `traefik.http.middlewares.fd-headers-${uuid}.headers`;
    expect(value(`${h}.stsSeconds`)).toBe("31536000");
    expect(value(`${h}.stsIncludeSubdomains`)).toBe("true");
    expect(value(`${h}.contentTypeNosniff`)).toBe("true");
    expect(value(`${h}.customFrameOptionsValue`)).toBe("DENY");
    expect(value(`${h}.referrerPolicy`)).toBe("strict-origin-when-cross-origin");
    const r = `traefik.http.middlewares.fd-ratelimit-${uuid}.ratelimit`;
    expect([value(`${r}.average`), value(`${r}.period`), value(`${r}.burst`)]).toEqual(["100", "60s", "50"]);
    expect(value(`traefik.http.middlewares.fd-body-${uuid}.buffering.maxRequestBodyBytes`)).toBe("1048576");
  });

  it("route the health paths around the rate limit, ahead of the main router", () => {
    const health = `traefik.http.routers.https-0-${uuid}-health`;
    expect(value(`${health}.rule`)).toBe("Host(`bod.example.com`) && (Path(`/health`) || Path(`/healthz`))");
    expect(value(`${health}.middlewares`)).toBe(`gzip,fd-headers-${uuid},fd-body-${uuid}`);
    expect(value(`${health}.service`)).toBe(`https-0-${uuid}`);
    expect(value(`${health}.tls.certresolver`)).toBe("letsencrypt");
    expect(Number(value(`${health}.priority`))).toBeGreaterThan(1000);
  });

  it("strip a domain's path prefix as Coolify does, health paths included", () => {
    const l = traefikLabels({ ...target, domains: ["https://x.example.com/agent"] }, full);
    expect(l).toContain(`traefik.http.middlewares.https-0-${uuid}-stripprefix.stripprefix.prefixes=/agent`);
    expect(l.find((x) => x.includes("-health.rule="))).toContain("Path(`/agent/health`)");
  });

  it("use no dollar sign, which Coolify would escape", () => {
    expect(labels.some((l) => l.includes("$"))).toBe(false);
  });

  it("with nothing asked for are Coolify's own routing labels", () => {
    const bare = traefikLabels(target, {});
    expect(bare.some((l) => l.includes("fd-"))).toBe(false);
    expect(bare).toContain(`traefik.http.routers.https-0-${uuid}.middlewares=gzip`);
  });
});

describe("Caddy labels", () => {
  it("serve the site with the headers and the body limit", () => {
    const l = caddyLabels(target, full);
    expect(l).toContain("caddy_0=https://bod.example.com");
    expect(l).toContain("caddy_ingress_network=coolify");
    expect(l).toContain('caddy_0.header.1_Strict-Transport-Security="max-age=31536000; includeSubDomains"');
    expect(l).toContain("caddy_0.header.2_X-Content-Type-Options=nosniff");
    expect(l).toContain("caddy_0.request_body.max_size=1048576");
    expect(l).toContain("caddy_0.handle_path.0_reverse_proxy={{upstreams 3000}}");
  });
});

describe("custom_labels encoding", () => {
  it("round-trips, and reads Coolify's plain-text and CRLF forms and its coolify.* lines as the same", () => {
    const labels = labelsFor(target, full) ?? [];
    expect(decodeLabels(encodeLabels(labels))).toEqual(labels);
    expect(decodeLabels(labels.join("\r\n"))).toEqual(labels);
    expect(decodeLabels(encodeLabels(["coolify.managed=true", ...labels]))).toEqual(labels);
  });

  it("has nothing for an application without a domain or without a front door", () => {
    expect(labelsFor({ ...target, domains: [] }, full)).toBeUndefined();
    expect(labelsFor(target, undefined)).toBeUndefined();
  });
});
