// The agent as the program configures it for the container tests: the dev stack's first agent
// (Pulumi.dev.yaml, through the real config parser), with a test's overrides, and the env file
// podman runs it with.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { AGENT_PORT, agentSecretEnv, plainAgentEnv } from "../../components/agent-env";
import { type AgentConfig, parseStackConfig } from "../../lib/config";
import { podman, podmanRaw, REPO_DIR } from "./podman";

/** The host's loopback as the container sees it (slirp4netns with allow_host_loopback). */
export const HOST_FROM_CONTAINER = "10.0.2.2";

export function devStackAgent(opts: {
  modelKey: string;
  /** Fields of the first agent to replace (modelBaseUrl, domain, logLevel, ...). */
  agent: Record<string, unknown>;
  /** Other eliza-coolify:* values to set (frontDoor, ...). */
  values?: Record<string, unknown>;
}): AgentConfig {
  const file = YAML.parse(readFileSync(join(REPO_DIR, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const values = Object.fromEntries(
    Object.entries(file.config)
      .filter(([key]) => key.startsWith("eliza-coolify:"))
      .map(([key, value]) => [key.slice("eliza-coolify:".length), value]),
  );
  const [first] = values.agents as Record<string, unknown>[];
  Object.assign(values, opts.values, { agents: [{ ...first, ...opts.agent }], openaiApiKey: opts.modelKey });
  const config = parseStackConfig(
    { values, secretKeys: ["openaiApiKey"] },
    { stack: "dev", baseDir: REPO_DIR },
  );
  const agent = config.agents[0];
  if (!agent) throw new Error("Pulumi.dev.yaml has no agent");
  return agent;
}

/** Writes the env for `podman run --env-file`: secrets go through a file, not the command line (ps shows it). */
export function writeEnvFile(path: string, env: Record<string, string>): string {
  writeFileSync(
    path,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
    { mode: 0o600 },
  );
  return path;
}

/** The agent's whole env as the component builds it, with the database reached from the container. */
export function containerEnv(
  agent: AgentConfig,
  o: { postgresUrl: string; apiToken: string; modelKey: string },
): Record<string, string> {
  return {
    ...plainAgentEnv(agent),
    ...agentSecretEnv(agent, {
      databaseUrl: o.postgresUrl.replace("@127.0.0.1:", `@${HOST_FROM_CONTAINER}:`),
      apiToken: o.apiToken,
      secretSalt: `salt-${randomUUID()}`,
      modelKey: o.modelKey,
    }),
  };
}

/**
 * Starts the agent image detached: slirp4netns so it reaches the host's loopback (Postgres, the
 * model server), its port published on 127.0.0.1 only.
 */
export async function runAgentContainer(o: {
  name: string;
  /**
   * Labels the container eliza-coolify-test=<kind>, and first removes the stopped ones of that
   * kind a killed run left behind (only stopped ones: another checkout may be running one).
   */
  kind: string;
  image: string;
  envFile: string;
  hostPort: number | string;
  stopTimeoutS?: number;
  labels?: string[];
}): Promise<void> {
  const label = `eliza-coolify-test=${o.kind}`;
  const stale = await podman(["ps", "-a", "-q", "--filter", `label=${label}`, "--filter", "status=exited"]);
  for (const id of stale.split("\n").filter(Boolean)) await podmanRaw(["rm", "-f", id]);
  await podmanRaw(["rm", "-f", o.name]);
  await podman([
    "run",
    "-d",
    "--name",
    o.name,
    "--label",
    label,
    "--network",
    "slirp4netns:allow_host_loopback=true",
    "-p",
    `127.0.0.1:${o.hostPort}:${AGENT_PORT}`,
    ...(o.stopTimeoutS === undefined ? [] : ["--stop-timeout", String(o.stopTimeoutS)]),
    "--env-file",
    o.envFile,
    ...(o.labels ?? []).flatMap((l) => ["--label", l]),
    o.image,
  ]);
}
