// CertificateCheck against real TLS handshakes: the simulator's https side (startSimulator's
// `tls` option) serves certificates made here with the openssl CLI from a throwaway CA.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
import { certificateCheckImpl } from "../../providers/coolify/src/resources/certificate-check";
import { deploymentImpl } from "../../providers/coolify/src/resources/deployment";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { type Simulator, startSimulator } from "../simulator";
import { checked, create } from "./harness";

const HOST = "agent.example.test";
const URL_ = `https://${HOST}`;

interface Pem {
  cert: string;
  key: string;
}

/** A throwaway CA and server certificates, made with the openssl CLI in a temp dir. */
class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "eliza-tls-"));
  readonly ca: Pem;

  constructor() {
    this.write(
      "ca.cnf",
      [
        "[req]",
        "distinguished_name = dn",
        "x509_extensions = v3_ca",
        "prompt = no",
        "[dn]",
        "CN = eliza-coolify test CA",
        "[v3_ca]",
        "basicConstraints = critical, CA:TRUE",
        "keyUsage = critical, keyCertSign, cRLSign",
        "subjectKeyIdentifier = hash",
      ].join("\n"),
    );
    this.openssl(
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ["-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-config", "ca.cnf"],
    );
    this.ca = this.read("ca");
  }

  /** A server certificate signed by the CA. */
  leaf(name: string, o: { cn: string; dns: string[]; days: number }): Pem {
    this.write(
      `${name}.ext`,
      [
        "basicConstraints = CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = serverAuth",
        `subjectAltName = ${o.dns.map((d) => `DNS:${d}`).join(", ")}`,
      ].join("\n"),
    );
    this.openssl(
      ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ["-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${o.cn}`],
    );
    this.openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"],
      ["-days", String(o.days), "-extfile", `${name}.ext`, "-out", `${name}.crt`],
    );
    return this.read(name);
  }

  /** Self-signed, like the certificate Traefik serves until Let's Encrypt has issued one. */
  selfSigned(name: string, cn: string, dns: string): Pem {
    this.openssl(
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ["-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "365", "-subj", `/CN=${cn}`],
      ["-addext", `subjectAltName = DNS:${dns}`],
    );
    return this.read(name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(...args: string[][]): void {
    execFileSync("openssl", args.flat(), { cwd: this.dir, stdio: "pipe" });
  }
  private write(file: string, text: string): void {
    writeFileSync(join(this.dir, file), `${text}\n`);
  }
  private read(name: string): Pem {
    return {
      cert: readFileSync(join(this.dir, `${name}.crt`), "utf8"),
      key: readFileSync(join(this.dir, `${name}.key`), "utf8"),
    };
  }
}

/** A TCP forwarder that sends the first `switchAfter` connections to one port, the rest to another. */
async function switchingForwarder(
  firstPort: number,
  thenPort: number,
  switchAfter: number,
): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(count <= switchAfter ? firstPort : thenPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("CertificateCheck", () => {
  let pki: TestPki;
  const sims: Simulator[] = [];
  const certs: Record<"valid" | "wrongHost" | "expiring" | "selfSigned", Pem> = {} as never;

  /** A simulator whose https side serves the given certificate (only that side is used). */
  async function servingSim(pem: Pem): Promise<number> {
    const sim = await startSimulator({ port: 0, tls: pem });
    sims.push(sim);
    return sim.tlsPort as number;
  }

  beforeAll(async () => {
    pki = new TestPki();
    certs.valid = pki.leaf("valid", { cn: HOST, dns: [HOST], days: 90 });
    certs.wrongHost = pki.leaf("wrong", { cn: "other.example.test", dns: ["other.example.test"], days: 90 });
    certs.expiring = pki.leaf("expiring", { cn: HOST, dns: [HOST], days: 2 });
    certs.selfSigned = pki.selfSigned("traefik", "TRAEFIK DEFAULT CERT", "0a1b2c.traefik.default");
    // Shrinks every wait (timeoutSeconds, retry delays) as for the other provider tests.
    process.env.ELIZA_COOLIFY_POLL_SCALE = "0.005";
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    pki?.remove();
  });

  const inputs = (port: number, extra: Record<string, unknown> = {}) => ({
    url: URL_,
    connectTo: `127.0.0.1:${port}`,
    caCertificate: pki.ca.cert,
    ...extra,
  });

  describe("check", () => {
    it("applies the defaults", async () => {
      const r = await certificateCheckImpl.check({}, { url: URL_ });
      expect(r.failures).toEqual([]);
      expect(r.inputs).toMatchObject({ url: URL_, minValidDays: 14, timeoutSeconds: 600, triggers: {} });
    });

    it("rejects http:// and non-URLs naming url", async () => {
      for (const url of [`http://${HOST}`, HOST, "ftp://x.example"]) {
        const r = await certificateCheckImpl.check({}, { url });
        expect(r.failures.map((f) => f.property)).toEqual(["url"]);
      }
      const r = await certificateCheckImpl.check({}, { url: `http://${HOST}` });
      expect(r.failures[0]?.reason).toMatch(/https:\/\//);
    });

    it("rejects bad connectTo values naming connectTo", async () => {
      for (const connectTo of [
        "127.0.0.1",
        "host:",
        ":443",
        "host:99999",
        "a b:443",
        "host:443/x",
        "::1:443",
      ]) {
        const r = await certificateCheckImpl.check({}, { url: URL_, connectTo });
        expect(
          r.failures.map((f) => f.property),
          connectTo,
        ).toEqual(["connectTo"]);
      }
      for (const connectTo of ["127.0.0.1:8443", "[::1]:443", "coolify.example.com:443"]) {
        expect((await certificateCheckImpl.check({}, { url: URL_, connectTo })).failures, connectTo).toEqual(
          [],
        );
      }
    });

    it("rejects a CA that is not PEM and a negative minValidDays", async () => {
      const r = await certificateCheckImpl.check({}, { url: URL_, caCertificate: "abc", minValidDays: -1 });
      expect(r.failures.map((f) => f.property).sort()).toEqual(["caCertificate", "minValidDays"]);
    });

    it("skips unknown values during preview", async () => {
      const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      const r = await certificateCheckImpl.check({}, { url: unknown, triggers: { deploymentUuid: unknown } });
      expect(r.failures).toEqual([]);
    });
  });

  it("passes for a valid certificate from the simulator and fills the outputs", async () => {
    const port = await servingSim(certs.valid);
    const { id, outs } = await create(certificateCheckImpl, inputs(port));
    expect(id).toBe(HOST);
    expect(outs).toMatchObject({
      subject: `CN=${HOST}`,
      issuer: "CN=eliza-coolify test CA",
      altNames: [HOST],
      url: URL_,
      minValidDays: 14,
    });
    expect(outs.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const validTo = Date.parse(String(outs.validTo));
    expect(validTo - Date.now()).toBeGreaterThan(85 * 86_400_000);
    expect(Date.parse(String(outs.validFrom))).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - Date.parse(String(outs.checkedAt))).toBeLessThan(60_000);
  });

  it("checks an application's https domain after its deployment, end to end on the simulator", async () => {
    // The Coolify side and the https side are one simulator, as with a real Coolify and its proxy.
    const sim = await startSimulator({ port: 0, deleteDelayMs: 50, deploymentPhaseMs: 50, tls: certs.valid });
    sims.push(sim);
    const saved = { url: process.env.COOLIFY_URL, token: process.env.COOLIFY_TOKEN };
    process.env.COOLIFY_URL = sim.url;
    process.env.COOLIFY_TOKEN = sim.rootToken;
    try {
      const project = await create(projectImpl, { name: "tls", owner: "tls/dev/project" });
      const app = await create(applicationImpl, {
        projectUuid: project.id,
        environment: "production",
        serverUuid: String(sim.control.state().servers[0]?.uuid),
        name: "agent",
        source: { type: "dockerimage", image: "elizaos/eliza", tag: "1.7.2" },
        port: 3000,
        domains: [`${URL_}:3000`],
        owner: "tls/dev/agent",
      });
      const deployment = await create(deploymentImpl, {
        applicationUuid: app.id,
        triggers: { domains: String(app.outs.fqdn) },
        timeoutSeconds: 60,
      });
      // The port in a Coolify domain is the container's: the check still goes to 443 (here connectTo).
      const { outs } = await create(certificateCheckImpl, {
        ...inputs(sim.tlsPort as number, { url: `${URL_}:3000` }),
        triggers: { deploymentUuid: String(deployment.outs.deploymentUuid) },
      });
      expect(outs).toMatchObject({ subject: `CN=${HOST}`, altNames: [HOST] });
      // And the proxy side routes the domain to the running application.
      const served = await httpsGet(sim.tlsPort as number, HOST, pki.ca.cert);
      expect(served).toEqual({ status: 200, body: `ok ${app.id}\n` });
    } finally {
      for (const [key, v] of [
        ["COOLIFY_URL", saved.url],
        ["COOLIFY_TOKEN", saved.token],
      ] as const) {
        if (v === undefined) delete process.env[key];
        else process.env[key] = v;
      }
    }
  });

  it("fails for a certificate of another host, saying what was served and what to check", async () => {
    const port = await servingSim(certs.wrongHost);
    const err = await create(certificateCheckImpl, inputs(port, { timeoutSeconds: 60 })).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = String(err.message);
    expect(msg).toContain(`${URL_} did not serve a valid certificate within 60 s`);
    expect(msg).toMatch(/subject: +CN=other\.example\.test/);
    expect(msg).toMatch(/names: +other\.example\.test/);
    expect(msg).toMatch(/issuer: +CN=eliza-coolify test CA/);
    expect(msg).toMatch(/valid: +\d{4}-\d\d-\d\dT.* to \d{4}-/);
    expect(msg).toContain(`not valid for ${HOST}`);
    expect(msg).not.toContain("not trusted");
    expect(msg).toMatch(/DNS: an A .*record for agent\.example\.test points at the Coolify server/);
    expect(msg).toMatch(/ports 80 and 443 are open/);
    expect(msg).toMatch(/proxy .* is running/);
    expect(msg).toMatch(/domain is set with https:\/\//);
  });

  it("fails for a certificate expiring within minValidDays, and passes with a lower bound", async () => {
    const port = await servingSim(certs.expiring);
    const err = await create(certificateCheckImpl, inputs(port, { timeoutSeconds: 60 })).catch((e) => e);
    expect(String(err?.message)).toMatch(/expires on \d{4}-.*, in [12] days, less than minValidDays \(14\)/);
    const ok = await create(certificateCheckImpl, inputs(port, { minValidDays: 1 }));
    expect(ok.outs.subject).toBe(`CN=${HOST}`);
  });

  it("fails for an untrusted (self-signed) certificate, naming the proxy default", async () => {
    const port = await servingSim(certs.selfSigned);
    const err = await create(certificateCheckImpl, inputs(port, { timeoutSeconds: 60 })).catch((e) => e);
    const msg = String(err?.message);
    expect(msg).toMatch(/subject: +CN=TRAEFIK DEFAULT CERT/);
    expect(msg).toContain("not trusted: DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(msg).toContain("Let's Encrypt has not issued one for this domain yet");
    expect(msg).toMatch(/\(\d+ attempts, connecting to 127\.0\.0\.1:\d+ with SNI agent\.example\.test\)/);
    expect(Number(/\((\d+) attempts/.exec(msg)?.[1])).toBeGreaterThan(1);
  });

  it("does not trust the test CA unless given: a valid chain to a private CA still fails", async () => {
    const port = await servingSim(certs.valid);
    const err = await create(certificateCheckImpl, {
      url: URL_,
      connectTo: `127.0.0.1:${port}`,
      timeoutSeconds: 30,
    })
      .then(() => undefined)
      .catch((e) => e);
    expect(String(err?.message)).toContain("not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("reports a connection error when nothing listens", async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const err = await create(certificateCheckImpl, inputs(closed, { timeoutSeconds: 30 })).catch((e) => e);
    expect(String(err?.message)).toMatch(/No certificate was served: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
  });

  it("waits through the proxy's default certificate until the issued one is served", async () => {
    const [selfSignedPort, validPort] = [await servingSim(certs.selfSigned), await servingSim(certs.valid)];
    const fwd = await switchingForwarder(selfSignedPort, validPort, 3);
    try {
      const { outs } = await create(certificateCheckImpl, inputs(fwd.port, { timeoutSeconds: 600 }));
      expect(outs).toMatchObject({ subject: `CN=${HOST}`, issuer: "CN=eliza-coolify test CA" });
      expect(fwd.connections()).toBe(4);
    } finally {
      await fwd.close();
    }
  });

  it("diffs on inputs and triggers, replaces on another url, and reads without a network call", async () => {
    const port = await servingSim(certs.valid);
    const news = await checked(certificateCheckImpl, inputs(port, { triggers: { deploymentUuid: "d1" } }));
    const { id, outs } = await certificateCheckImpl.create(news);
    expect(await certificateCheckImpl.diff(id, outs, news)).toMatchObject({ changes: false });
    const redeployed = await checked(certificateCheckImpl, { ...news, triggers: { deploymentUuid: "d2" } });
    expect(await certificateCheckImpl.diff(id, outs, redeployed)).toEqual({ changes: true, replaces: [] });
    const longer = await checked(certificateCheckImpl, { ...news, timeoutSeconds: 900 });
    expect((await certificateCheckImpl.diff(id, outs, longer)).changes).toBe(false);
    const moved = await checked(certificateCheckImpl, { ...news, url: "https://other.example.test" });
    expect(await certificateCheckImpl.diff(id, outs, moved)).toEqual({ changes: true, replaces: ["url"] });

    const updated = await certificateCheckImpl.update(id, outs, redeployed);
    expect(updated.outs.triggers).toEqual({ deploymentUuid: "d2" });
    expect(Date.parse(String(updated.outs.checkedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(outs.checkedAt)),
    );

    // Nothing listens at this address: read must not try.
    const stale = { ...outs, connectTo: "127.0.0.1:1" };
    expect(await certificateCheckImpl.read(id, stale)).toEqual({ id, props: stale });
    await certificateCheckImpl.delete(id, outs);
  });
});

function httpsGet(port: number, host: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, servername: host, headers: { host }, ca, path: "/" },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
