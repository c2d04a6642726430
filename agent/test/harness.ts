// Starts the real ElizaOS 1.7.2 server from agent/ in local start mode (`elizaos start`, what
// `npm run start` runs) with a clean environment, and stops it again. The tests install nothing:
// agent/setup.sh must have run; when it has not, assertAgentInstalled() fails with that instruction.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const AGENT_DIR = resolve(__dirname, "..");
export const REPO_DIR = resolve(AGENT_DIR, "..");
const BIN_DIR = join(AGENT_DIR, "node_modules", ".bin");

/** Packages the tests need, with the exact versions agent/package.json pins. */
const REQUIRED: Record<string, string | undefined> = {
  "@elizaos/cli": "1.7.2",
  "@elizaos/server": "1.7.2",
  "@elizaos/core": "1.7.2",
  "@elizaos/plugin-sql": "1.7.2",
  "@elizaos/plugin-bootstrap": "1.7.2",
  "@elizaos/plugin-openai": "1.6.0",
};

/** Throws, naming the setup step, unless agent/ dependencies are installed and bun runs. */
export function assertAgentInstalled(): void {
  const problems: string[] = [];
  for (const [name, version] of Object.entries(REQUIRED)) {
    const file = join(AGENT_DIR, "node_modules", name, "package.json");
    if (!existsSync(file)) {
      problems.push(`${name} is missing`);
      continue;
    }
    const found = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    if (version && found !== version) problems.push(`${name} is ${found}, expected ${version}`);
  }
  const bun = spawnSync(join(BIN_DIR, "bun"), ["--version"], { encoding: "utf8" });
  if (bun.status !== 0) problems.push("bun does not run (its install script did not run)");
  if (problems.length > 0) {
    throw new Error(
      `The agent's dependencies are not installed (${problems.join("; ")}). Run \`bash agent/setup.sh\` ` +
        "from the repository root (scripts/setup.sh should call it) before running the agent tests.",
    );
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject()));
    });
  });
}

/**
 * The variables that keep a local start off the network, as the Coolify deployment sets them too.
 * - ELIZA_NO_PLUGIN_AUTO_INSTALL / ELIZA_NO_AUTO_INSTALL: no `bun add` of missing plugins at start.
 * - npm_config_offline: the CLI runs `npm view @elizaos/cli version` before every command (update
 *   check, no switch to turn it off); offline makes it fail at once instead of reaching the registry.
 * - SENTRY_DSN: the server always initialises Sentry and falls back to elizaOS's own DSN when this is
 *   empty; a DSN pointing at a closed local port keeps error reports on the machine.
 */
export const OFFLINE_ENV: Record<string, string> = {
  ELIZA_NO_PLUGIN_AUTO_INSTALL: "true",
  ELIZA_NO_AUTO_INSTALL: "true",
  npm_config_offline: "true",
  SENTRY_DSN: "http://disabled@127.0.0.1:9/0",
};

export interface AgentServer {
  url: string;
  pid: number;
  /** Milliseconds from spawn to GET /health answering 200. */
  coldStartMs: number;
  dataDir: string;
  logs(): string;
  /** Resident memory of the server's process group, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  env: Record<string, string>;
  startTimeoutMs?: number;
  /** "start" (default): `elizaos start`. "dev": `npm run dev`, i.e. scripts/dev.mjs around `elizaos dev`. */
  mode?: "start" | "dev";
}

export async function startAgent(options: StartAgentOptions): Promise<AgentServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "eliza-agent-test-"));
  const env: Record<string, string> = {
    // A clean environment: nothing from the caller's shell (a POSTGRES_URL or a real key) leaks in.
    PATH: [BIN_DIR, dirname(process.execPath), process.env.PATH ?? "/usr/bin:/bin"].join(":"),
    HOME: process.env.HOME ?? dataDir,
    LANG: "C.UTF-8",
    NODE_ENV: "production",
    SERVER_PORT: String(port),
    SERVER_HOST: "127.0.0.1",
    ELIZA_UI_ENABLE: "false",
    LOG_LEVEL: "info",
    ELIZA_DATA_DIR: join(dataDir, "eliza"),
    PGLITE_DATA_DIR: join(dataDir, "pglite"),
    AGENT_CHARACTERS: "server-bod.character.json",
    ...OFFLINE_ENV,
    ...options.env,
  };
  const startedAt = Date.now();
  const [command, args] =
    options.mode === "dev"
      ? [process.execPath, [join(AGENT_DIR, "scripts", "dev.mjs")]]
      : [join(BIN_DIR, "elizaos"), ["start"]];
  const child = spawn(command, args, {
    cwd: AGENT_DIR,
    env,
    detached: true, // its own process group, so stop() reaches bun and anything it spawns
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > 400_000) output = output.slice(-200_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));

  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopProcess(child, exited, dataDir);
  try {
    await waitForHealth(url, exited, options.startTimeoutMs ?? 120_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- server log (tail) ---\n${output.slice(-6_000)}`);
  }
  const coldStartMs = Date.now() - startedAt;
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    coldStartMs,
    dataDir,
    logs: () => output,
    rssBytes: () => processGroupRss(pid),
    stop,
  };
}

async function waitForHealth(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`the server exited with code ${exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `GET /health ${res.status} ${await res.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server was not ready within ${timeoutMs} ms (${last})`);
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<number | null>,
  dataDir: string,
): Promise<void> {
  const pid = child.pid;
  if (pid && child.exitCode === null && child.signalCode === null) {
    signalGroup(pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  // Anything left in the group (the server exits but a helper may linger).
  if (pid) signalGroup(pid, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Sum of VmRSS over the processes in the group led by `pgid` (Linux /proc). */
export function processGroupRss(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may contain spaces): state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (kb) total += Number(kb) * 1024;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}
