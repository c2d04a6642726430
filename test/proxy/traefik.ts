// The real Traefik (scripts/proxy/build-traefik.sh builds it from Go modules) with Coolify's
// entry points (http, https) and docker provider settings (exposedbydefault=false), reading the
// containers' labels through podman's Docker API. Only the addresses differ: loopback ports
// instead of :80/:443, and the containers' published loopback ports (useBindPortIP) instead of a
// Docker network, since nothing here may listen beyond 127.0.0.1.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { podmanEnv, REPO_DIR } from "../production/podman";

export function traefikBinary(): string {
  const run = spawnSync("bash", [join(REPO_DIR, "scripts/proxy/build-traefik.sh")], { encoding: "utf8" });
  const bin = run.stdout.trim().split("\n").pop();
  if (run.status !== 0 || !bin) {
    throw new Error(
      `building Traefik failed (bash scripts/proxy/build-traefik.sh):\n${run.stderr.slice(-3000)}`,
    );
  }
  return bin;
}

export interface Running {
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

/** podman's Docker-compatible API on a unix socket, as Traefik's docker provider reads it. */
export function startPodmanApi(socket: string): Running {
  return start("podman", ["system", "service", "--time=0", `unix://${socket}`], podmanEnv());
}

export interface TraefikOptions {
  dir: string;
  socket: string;
  httpPort: number;
  httpsPort: number;
  certFile: string;
  keyFile: string;
}

export function startTraefik(bin: string, o: TraefikOptions): Running {
  const dynamic = join(o.dir, "dynamic.yml");
  // Coolify's own dynamic configuration lives in /traefik/dynamic too; here it holds the
  // default certificate.
  writeFileSync(
    dynamic,
    `tls:\n  stores:\n    default:\n      defaultCertificate:\n        certFile: ${o.certFile}\n        keyFile: ${o.keyFile}\n`,
  );
  return start(
    bin,
    [
      `--entrypoints.http.address=127.0.0.1:${o.httpPort}`,
      `--entrypoints.https.address=127.0.0.1:${o.httpsPort}`,
      "--entrypoints.http.http.encodequerysemicolons=true",
      "--entrypoints.https.http.encodequerysemicolons=true",
      "--providers.docker=true",
      `--providers.docker.endpoint=unix://${o.socket}`,
      "--providers.docker.exposedbydefault=false",
      "--providers.docker.useBindPortIP=true",
      `--providers.file.filename=${dynamic}`,
      "--log.level=INFO",
      "--accesslog=true",
    ],
    process.env,
  );
}
