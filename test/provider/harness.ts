// Drives the provider implementations the way the engine does (check, then create/update/...),
// in-process, against a fresh simulator. Credentials reach the provider the way they do in
// production: through COOLIFY_URL / COOLIFY_TOKEN, read at call time.
import { expect } from "vitest";
import type { Props, ResourceImpl } from "../../providers/coolify/src/provider/types";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { type Simulator, startSimulator } from "../simulator";

export interface ProviderSim {
  sim: Simulator;
  serverUuid: string;
  close(): Promise<void>;
}

export async function startProviderSim(
  opts: {
    deploymentPhaseMs?: number;
    servers?: number;
    trustedInternalHosts?: string[];
    rateLimitPerMinute?: number;
  } = {},
): Promise<ProviderSim> {
  const sim = await startSimulator({
    port: 0,
    deleteDelayMs: 50,
    deploymentPhaseMs: opts.deploymentPhaseMs ?? 50,
    servers: opts.servers,
    trustedInternalHosts: opts.trustedInternalHosts,
    rateLimitPerMinute: opts.rateLimitPerMinute,
  });
  // A higher budget for tests that make many requests; the client paces itself to it.
  if (opts.rateLimitPerMinute) process.env.COOLIFY_RATE_LIMIT_PER_MINUTE = String(opts.rateLimitPerMinute);
  process.env.COOLIFY_URL = sim.url;
  process.env.COOLIFY_TOKEN = sim.rootToken;
  process.env.ELIZA_COOLIFY_POLL_SCALE = "0.005";
  const serverUuid = String(sim.control.state().servers[0]?.uuid);
  return {
    sim,
    serverUuid,
    async close() {
      await sim.close();
    },
  };
}

export function useToken(token: string): void {
  process.env.COOLIFY_TOKEN = token;
}

export async function checked(impl: ResourceImpl, news: Props, olds: Props = {}): Promise<Props> {
  const r = await impl.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

export async function create(impl: ResourceImpl, news: Props): Promise<{ id: string; outs: Props }> {
  return impl.create(await checked(impl, news));
}

/** Requests made while fn runs, as "METHOD path" strings. */
export async function requestsDuring(sim: Simulator, fn: () => Promise<unknown>): Promise<string[]> {
  sim.control.clearRequestLog();
  await fn();
  return sim.control.requestLog().map((e) => `${e.method} ${e.path}`);
}

export function writes(requests: string[]): string[] {
  return requests.filter((r) => !r.startsWith("GET "));
}

/** A call to the simulator's API as a hand-made change (root token), returning the JSON body. */
export async function simApi<T = unknown>(
  p: ProviderSim,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${p.sim.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${p.sim.rootToken}`,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as T;
}

/** A project and a dockerimage application in it, created through the provider. */
export async function createTestApplication(p: ProviderSim, name: string): Promise<string> {
  const project = await create(projectImpl, { name: `${name} project`, owner: `t/dev/${name}-project` });
  const app = await create(applicationImpl, {
    projectUuid: project.id,
    environment: "production",
    serverUuid: p.serverUuid,
    name,
    source: { type: "dockerimage", image: "ghcr.io/example/agent:1.7.2" },
    port: 3000,
    owner: `t/dev/${name}`,
  });
  return app.id;
}
