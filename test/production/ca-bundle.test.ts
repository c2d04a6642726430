// ELIZA_COOLIFY_CA_BUNDLE reaches apt inside the agent image's build. A TLS-inspecting proxy shows
// the client a certificate chained to a CA the host trusts and a fresh image does not; here the
// Debian mirror is served over https with a throwaway CA's certificate, and the agent Dockerfile's
// own apt step (taken from agent/Dockerfile as it is) runs in a podman build on the Node base image:
// without the ca_bundle secret it fails on the certificate, with it it installs. npm in the deps
// stage gets the same secret (NODE_EXTRA_CA_CERTS); test/production/image.ts passes it.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificate } from "../proxy/tls";
import { NODE_IMAGE } from "./image";
import { podman, podmanRaw, REPO_DIR } from "./podman";

/** The runtime stage's apt step, exactly as agent/Dockerfile has it (continuation lines kept). */
function dockerfileAptStep(): string {
  const lines = readFileSync(join(REPO_DIR, "agent", "Dockerfile"), "utf8").split("\n");
  const start = lines.findIndex((line, i) => {
    if (!/^RUN\b/.test(line)) return false;
    let end = i;
    while (lines[end]?.trimEnd().endsWith("\\")) end++;
    return lines
      .slice(i, end + 1)
      .join("\n")
      .includes("apt-get");
  });
  if (start < 0) throw new Error("agent/Dockerfile has no RUN step with apt-get");
  let end = start;
  while (lines[end]?.trimEnd().endsWith("\\")) end++;
  return lines.slice(start, end + 1).join("\n");
}

describe("ELIZA_COOLIFY_CA_BUNDLE in the agent image build (apt behind TLS the image does not trust)", () => {
  let dir: string;
  let server: Server;
  let mirrorUrl: string;
  let served = 0;
  const tag = `localhost/eliza-ca-bundle-test:${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eliza-ca-bundle-"));
    const certificate = makeCertificate(dir, "localhost");
    // The mirror the base image's apt already uses (scripts/containers/setup.sh takes the host's).
    const sources = await podman([
      "run",
      "--rm",
      "--network=none",
      NODE_IMAGE,
      "cat",
      "/etc/apt/sources.list",
    ]);
    const upstream = /^deb\s+(\S+)/m.exec(sources)?.[1]?.replace(/\/$/, "");
    if (!upstream) throw new Error(`no deb line in ${NODE_IMAGE}'s /etc/apt/sources.list: ${sources}`);
    server = createServer(
      { cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) },
      (req, res) => {
        served += 1;
        const path = (req.url ?? "/").replace(/^\/debian/, "");
        fetch(`${upstream}${path}`, { method: req.method })
          .then((answer) => {
            const headers: Record<string, string> = {};
            for (const name of ["content-type", "content-length", "last-modified", "etag"]) {
              const value = answer.headers.get(name);
              if (value) headers[name] = value;
            }
            res.writeHead(answer.status, headers);
            if (answer.body && req.method !== "HEAD") Readable.fromWeb(answer.body as never).pipe(res);
            else res.end();
          })
          .catch((error: Error) => {
            res.writeHead(502);
            res.end(error.message);
          });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    mirrorUrl = `https://localhost:${(server.address() as AddressInfo).port}/debian`;
    writeFileSync(
      join(dir, "Containerfile"),
      [
        `FROM ${NODE_IMAGE}`,
        `RUN echo "deb ${mirrorUrl} bookworm main" > /etc/apt/sources.list`,
        dockerfileAptStep(),
        "",
      ].join("\n"),
    );
  }, 120_000);

  afterAll(async () => {
    await podmanRaw(["rmi", "-f", tag]);
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const build = (secret: string[]) =>
    podmanRaw([
      "build",
      "--no-cache", // a secret is not part of a layer's cache key: never reuse the other build's layer
      "--pull=never",
      "--network=host",
      ...secret,
      "-t",
      tag,
      "-f",
      join(dir, "Containerfile"),
      dir,
    ]);

  it("without the bundle, apt refuses the mirror's certificate", async () => {
    const result = await build([]);
    expect(result.status, result.stdout + result.stderr).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/certificate|handshake|verification/i);
  });

  it("with the bundle as the ca_bundle secret (what image.ts passes), apt installs curl and ca-certificates", async () => {
    served = 0;
    const result = await build(["--secret", `id=ca_bundle,src=${join(dir, "ca.crt")}`]);
    expect(result.status, (result.stdout + result.stderr).slice(-4_000)).toBe(0);
    expect(served).toBeGreaterThan(0);
    expect(await podman(["run", "--rm", "--network=none", tag, "curl", "--version"])).toMatch(/^curl \d/);
    // The bundle was a build secret: it is not in the image.
    const found = await podmanRaw(["run", "--rm", "--network=none", tag, "ls", "/run/secrets/ca_bundle"]);
    expect(found.status).not.toBe(0);
  });
});
