// A fleet from nothing: N agents (the dev stack's shape: one project in a non-production
// environment, no server declared, one shared database, per agent an application with a domain,
// its env vars and a deployment) created through the provider implementations in-process, in the
// engine's order and parallelism (engine-model.ts), against a simulator with Coolify's limits:
// 200 requests per minute per token owner, 2 concurrent deployments per server, one per
// application, queued deletes. Then destroyed, and Coolify checked empty.
//
// Clock: one virtual clock (virtual-clock.ts) for the provider (polls, deadlines: setProviderClock),
// the client (rate budget, backoff, Retry-After) and the simulator (its rate-limit window,
// deployment phases, delete jobs). Time moves only when every HTTP request is answered and
// everything waits, so minutes run in seconds and the figures do not depend on the machine.
// The poll schedule is the real one (ELIZA_COOLIFY_POLL_SCALE 1).
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { AGENT_BASE_ENV } from "../components/agent-env";
import { rendezvousServer } from "../lib/config/placement";
import { resetSharedRateLimiters } from "../providers/coolify/src/client/rate-limiter";
import { forgetChecks, forgetClients } from "../providers/coolify/src/provider/context";
import { forgetQueuedDeletes } from "../providers/coolify/src/provider/lookup";
import { setProviderClock } from "../providers/coolify/src/provider/poll";
import { implementationOf } from "../providers/coolify/src/provider/registry";
import type { Props } from "../providers/coolify/src/provider/types";
import { startSimulator } from "../test/simulator";
import { reversed, runSteps, type Step } from "./engine-model";
import { maxInWindow } from "./report";
import { onVirtualTime, SteppedClock } from "./virtual-clock";

export interface FleetOptions {
  agents: number;
  /** The client's budget (COOLIFY_RATE_LIMIT_PER_MINUTE). */
  budgetPerMinute: number;
  parallel: number;
  /** Simulator: each deployment phase (queued, in_progress, then starting) lasts this long. */
  phaseMs?: number;
  deleteDelayMs?: number;
  /**
   * Coolify servers, each with its own build slots and deployment queue; the agents are spread
   * over them as the program spreads agents without a `server` (lib/config/placement.ts).
   */
  servers?: number;
}

export interface PhaseResult {
  virtualSeconds: number;
  wallMs: number;
  requests: number;
  refused429: number;
  failed: { key: string; error: string }[];
  skipped: number;
  /** Requests per kind, e.g. "GET /deployments/{id}": 250. */
  byRequest: Record<string, number>;
  /** Most requests Coolify saw in any 60 s (virtual) window. */
  maxPerMinute: number;
  /**
   * Requests that only wait (isPoll): GETs of one deployment, application or database, of the
   * environment while a project waits for its children, and a project DELETE refused with "has
   * resources". The rest is what the work needs at least.
   */
  polls: number;
}

export interface FleetResult {
  options: Required<FleetOptions>;
  /**
   * A no-change preview in-process: Coolify requests (the provider's checks need none), resources
   * whose diff said changed (none expected), and per resource type the calls of check + diff and
   * the time they took (the provider's own work, without the engine and gRPC).
   */
  preview: { requests: number; changed: number; timing: Record<string, { calls: number; ms: number }> };
  /**
   * Bounds: rateBoundSeconds counts the run's own requests at 200/min, minimalRateBoundSeconds
   * only those that are not polls (so cutting polls shows as a smaller ratio, not a smaller bound).
   */
  up: PhaseResult & {
    rateBoundSeconds: number;
    minimalRateBoundSeconds: number;
    /** ceil(agents / (2 * servers)) build rounds: the agents spread evenly. */
    queueBoundSeconds: number;
    /** The agents on the busiest server, and its ceil(n / 2) build rounds. */
    mostOnOneServer: number;
    spreadBoundSeconds: number;
  };
  destroy: PhaseResult & {
    rateBoundSeconds: number;
    minimalRateBoundSeconds: number;
    deleteBoundSeconds: number;
    leftOver: number;
  };
}

const COOLIFY_LIMIT_PER_MINUTE = 200;

/** A request that only waits for Coolify (see PhaseResult.polls). */
export function isPoll(e: { method: string; path: string; status: number }): boolean {
  const k = shortPath(e.method, e.path);
  if (e.method === "DELETE") return k === "DELETE /projects/{id}" && e.status === 400;
  return (
    e.method === "GET" &&
    /^GET \/(deployments|applications|databases)\/\{id\}$|^GET \/projects\/\{id\}\/[^/]+$/.test(k)
  );
}
const BUILDS_PER_SERVER = 2;

const shortPath = (method: string, path: string) =>
  `${method} ${path
    .split("?")[0]
    ?.replace("/api/v1", "")
    .replace(/\/[a-z0-9]{24}(?=\/|$)/g, "/{id}")}`;

interface Made {
  id: string;
  outs: Props;
}

export async function fleet(opts: FleetOptions): Promise<FleetResult> {
  const o: Required<FleetOptions> = { phaseMs: 1_000, deleteDelayMs: 10_000, servers: 1, ...opts };
  const sim = await startSimulator({
    port: 0,
    deploymentPhaseMs: o.phaseMs,
    deleteDelayMs: o.deleteDelayMs,
    rateLimitPerMinute: COOLIFY_LIMIT_PER_MINUTE,
    servers: o.servers,
  });
  const servers = sim.proxies.map((p) => ({ uuid: p.serverUuid }));
  sim.control.setClockSpeed(0);
  const clock = new SteppedClock((ms) => sim.control.step(ms));
  setProviderClock(clock);
  resetSharedRateLimiters();
  const saved = { ...process.env };
  process.env.COOLIFY_URL = sim.url;
  process.env.COOLIFY_TOKEN = sim.rootToken;
  process.env.COOLIFY_RATE_LIMIT_PER_MINUTE = String(o.budgetPerMinute);
  process.env.ELIZA_COOLIFY_POLL_SCALE = "1";

  // Virtual time of each API request, as the simulator saw it arrive.
  const arrivals: number[] = [];
  const onRequest = () => arrivals.push(clock.now());
  subscribe("http.server.request.start", onRequest);

  const made = new Map<string, Made>();
  const out = (key: string) => (made.get(key) as Made).outs;
  const names = Array.from({ length: o.agents }, (_, i) => `agent-${String(i + 1).padStart(3, "0")}`);

  const where = () => ({
    projectUuid: out("project").uuid,
    environment: out("project").environment,
    serverUuid: out("project").serverUuid,
  });
  const serverOf = (name: string) => (o.servers > 1 ? rendezvousServer(name, servers).uuid : undefined);
  const inputsOf: Record<string, () => Props> = {
    // One server: none declared (the dev stack's shape). Several: listed, the first the database's.
    project: () => ({
      name: "eliza-fleet",
      environment: "staging",
      owner: "fleet/dev/project",
      ...(o.servers > 1 ? { serverUuid: servers[0]?.uuid } : {}),
    }),
    db: () => ({
      ...where(),
      name: "agents-db-postgres",
      limits: { memory: "512m" },
      isPublic: false,
      owner: "fleet/dev/agents-db-postgres",
    }),
  };
  const types: Record<string, string> = { project: "Project", db: "PostgresDatabase" };
  const graph: { key: string; deps: string[] }[] = [
    { key: "project", deps: [] },
    { key: "db", deps: ["project"] },
  ];
  for (const name of names) {
    const app = `${name}/app`;
    const env = `${name}/env`;
    const storage = `${name}/storage`;
    const dep = `${name}/deployment`;
    types[app] = "Application";
    types[storage] = "PersistentStorage";
    types[env] = "EnvVars";
    types[dep] = "Deployment";
    inputsOf[app] = () => ({
      ...where(),
      ...(serverOf(name) ? { serverUuid: serverOf(name) } : {}),
      name,
      description: `ElizaOS agent ${name}`,
      source: { type: "dockerimage", image: "ghcr.io/eliza-coolify/eliza-agent", tag: "0.1.0" },
      port: 3000,
      healthCheck: { path: "/health", interval: 10, timeout: 5, retries: 5, startPeriod: 60 },
      limits: { memory: "512m", cpus: "0.5" },
      stopGracePeriod: 30,
      domains: [`https://${name}.fleet.example.com`],
      owner: `fleet/dev/${name}-app`,
    });
    // The data directory's volume every agent gets (components/agent.ts createDataStorage).
    inputsOf[storage] = () => ({
      applicationUuid: made.get(app)?.id,
      name: "eliza-data",
      mountPath: "/app/agent/.eliza",
    });
    inputsOf[env] = () => ({
      applicationUuid: made.get(app)?.id,
      variables: {
        ...AGENT_BASE_ENV,
        LOG_LEVEL: "info",
        AGENT_CHARACTER_JSON: JSON.stringify({ name, bio: [`${name} of the fleet`], plugins: [] }),
        POSTGRES_URL: String(out("db").internalUrl ?? "postgres://eliza:pw@db:5432/eliza"),
        ELIZA_SERVER_AUTH_TOKEN: `token-${name}-000000000000000000000000000000000000`,
        SECRET_SALT: `salt-${name}-0000000000000000000000000000000000000000000000000000`,
        OPENAI_API_KEY: "sk-fleet-0000000000000000",
      },
      locked: ["POSTGRES_URL", "ELIZA_SERVER_AUTH_TOKEN", "SECRET_SALT", "OPENAI_API_KEY"],
    });
    inputsOf[dep] = () => ({
      applicationUuid: made.get(app)?.id,
      serverUuid: out(app).serverUuid,
      triggers: {
        image: "ghcr.io/eliza-coolify/eliza-agent:0.1.0",
        env: String(out(env).digest ?? ""),
        domains: String(out(app).fqdn ?? ""),
        limits: "512m/0.5",
        storage: `${String(out(storage).volumeName ?? "")}:/app/agent/.eliza`,
      },
    });
    graph.push({ key: app, deps: ["project"] });
    graph.push({ key: storage, deps: [app] });
    graph.push({ key: env, deps: [app, "db"] });
    graph.push({ key: dep, deps: [app, env, storage] });
  }

  // A no-change preview as the provider process sees it: per resource, check (old inputs, the
  // same new ones) then diff against the outputs. Requests and the provider's own time per call.
  const noChangePreview = async () => {
    forgetChecks(); // its own provider process: the preflight is its one request
    sim.control.clearRequestLog();
    const timing: Record<string, { calls: number; ms: number }> = {};
    let changed = 0;
    for (const g of graph) {
      const m = made.get(g.key) as Made;
      const type = types[g.key] as string;
      const impl = implementationOf(type);
      const t0 = performance.now();
      const checked = await impl.check(m.outs, (inputsOf[g.key] as () => Props)());
      const d = await impl.diff(m.id, m.outs, checked.inputs);
      const ms = performance.now() - t0;
      if (d.changes) changed++;
      const s = timing[type] ?? { calls: 0, ms: 0 };
      timing[type] = { calls: s.calls + 1, ms: s.ms + ms };
    }
    const requests = sim.control.requestLog().filter((e) => e.plane !== "agent").length;
    return { requests, changed, timing };
  };

  const create = async (key: string) => {
    const impl = implementationOf(types[key] as string);
    const checked = await impl.check({}, (inputsOf[key] as () => Props)());
    if (checked.failures.length > 0)
      throw new Error(`${key}: check failed: ${JSON.stringify(checked.failures)}`);
    made.set(key, await impl.create(checked.inputs));
  };
  const phase = async (steps: Step[]) => {
    sim.control.clearRequestLog();
    arrivals.length = 0;
    const v0 = clock.now();
    const w0 = Date.now();
    const run = await onVirtualTime(clock, runSteps(steps, o.parallel));
    const log = sim.control.requestLog().filter((e) => e.plane !== "agent");
    const byRequest: Record<string, number> = {};
    for (const e of log) {
      const k = shortPath(e.method, e.path);
      byRequest[k] = (byRequest[k] ?? 0) + 1;
    }
    return {
      virtualSeconds: (clock.now() - v0) / 1000,
      wallMs: Date.now() - w0,
      requests: log.length,
      refused429: log.filter((e) => e.status === 429).length,
      failed: run.failed,
      skipped: run.skipped.length,
      byRequest,
      maxPerMinute: maxInWindow(arrivals, 60_000),
      polls: log.filter(isPoll).length,
    };
  };

  try {
    forgetChecks(); // a pulumi up runs a provider process of its own
    forgetQueuedDeletes();
    const up = await phase(graph.map((g) => ({ ...g, run: () => create(g.key) })));
    const preview = await onVirtualTime(clock, noChangePreview());
    const deploymentSeconds = (2 * o.phaseMs) / 1000;
    const perServer = new Map<string, number>();
    for (const name of names) {
      const uuid = String(out(`${name}/app`).serverUuid);
      perServer.set(uuid, (perServer.get(uuid) ?? 0) + 1);
    }
    const mostOnOneServer = Math.max(...perServer.values());

    // And so does pulumi destroy: its own preflight, queued deletes and rate budget (a new bucket:
    // Coolify's own window carries on from the up, so a destroy run right after it is tested
    // against what the up left of Coolify's limit).
    forgetClients();
    forgetQueuedDeletes();
    resetSharedRateLimiters();
    // EnvVars and the storage are deletedWith their application (components/agent.ts): the
    // engine skips them.
    const destroyOne = async (key: string) => {
      const m = made.get(key);
      if (!m || types[key] === "EnvVars" || types[key] === "PersistentStorage") return;
      await implementationOf(types[key] as string).delete(m.id, m.outs);
    };
    const down = await phase(reversed(graph, destroyOne));
    const state = sim.control.state();
    const leftOver = state.projects.length + state.applications.length + state.databases.length;
    return {
      options: o,
      preview,
      up: {
        ...up,
        rateBoundSeconds: (up.requests / COOLIFY_LIMIT_PER_MINUTE) * 60,
        minimalRateBoundSeconds: ((up.requests - up.polls) / COOLIFY_LIMIT_PER_MINUTE) * 60,
        queueBoundSeconds: Math.ceil(o.agents / (BUILDS_PER_SERVER * o.servers)) * deploymentSeconds,
        mostOnOneServer,
        spreadBoundSeconds: Math.ceil(mostOnOneServer / BUILDS_PER_SERVER) * deploymentSeconds,
      },
      destroy: {
        ...down,
        rateBoundSeconds: (down.requests / COOLIFY_LIMIT_PER_MINUTE) * 60,
        minimalRateBoundSeconds: ((down.requests - down.polls) / COOLIFY_LIMIT_PER_MINUTE) * 60,
        // Each delete job takes deleteDelay; the project goes only after its children are gone.
        deleteBoundSeconds: o.deleteDelayMs / 1000,
        leftOver,
      },
    };
  } finally {
    unsubscribe("http.server.request.start", onRequest);
    setProviderClock();
    process.env = saved;
    await sim.close();
  }
}
