// Runs podman with the project's own configuration (scripts/containers/setup.sh writes it under the
// setup cache), never the machine's. Fails with the setup command when the toolchain is missing.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_DIR = resolve(__dirname, "..", "..");

export function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return process.env.ELIZA_COOLIFY_CACHE || join(xdg, "eliza-coolify");
}

let cachedEnv: Record<string, string> | undefined;

/** The environment podman runs with: the caller's plus CONTAINERS_CONF and friends. */
export function podmanEnv(): Record<string, string> {
  if (cachedEnv) return cachedEnv;
  const file = join(cacheDir(), "containers", "env");
  const marker = join(cacheDir(), "containers", "base-images.marker");
  if (!existsSync(file) || !existsSync(marker) || spawnSync("podman", ["--version"]).status !== 0) {
    throw new Error(
      `The container toolchain is not set up (${file} or podman missing). Run \`bash scripts/containers/setup.sh\` ` +
        "(npm run test:production runs it first).",
    );
  }
  const vars = Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  cachedEnv = { ...(process.env as Record<string, string>), ...vars };
  return cachedEnv;
}

export interface PodmanResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs podman and resolves with its output, whatever the exit status. */
export function podmanRaw(
  args: string[],
  options: { onLine?: (line: string) => void } = {},
): Promise<PodmanResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn("podman", args, { env: podmanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    const lines = (chunk: string) => {
      if (!options.onLine) return;
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) options.onLine(line);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      lines(chunk.toString("utf8"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      lines(chunk.toString("utf8"));
    });
    child.once("error", reject);
    child.once("exit", (code) => resolveRun({ status: code ?? 1, stdout, stderr }));
  });
}

/** Runs podman; throws with its stderr unless it exits 0. Returns stdout, trimmed. */
export async function podman(
  args: string[],
  options: { onLine?: (line: string) => void } = {},
): Promise<string> {
  const result = await podmanRaw(args, options);
  if (result.status !== 0) {
    throw new Error(
      `podman ${args.join(" ")} exited with ${result.status}: ${result.stderr.trim().slice(-4_000)}`,
    );
  }
  return result.stdout.trim();
}
