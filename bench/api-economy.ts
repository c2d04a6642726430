// API economy: DESIGN's reference work (a project, a database, an app with a domain and 5 env
// vars, one 60 s deployment), then a no-change diff, a refresh, one changed env value and a
// destroy, driven in-process through the provider implementations against the simulator.
//
// Time: the simulator's virtual clock runs `speedup` times faster than the wall clock and the
// provider's poll schedule is shrunk by the same factor (ELIZA_COOLIFY_POLL_SCALE), so the
// provider polls exactly as often as it would against a real 60 s deployment. The destroy runs
// with the clock at normal speed: waitUntilGone sleeps on the client's own (real) clock, which
// the poll scale does not touch, so only real time gives the real number of delete polls.

import { forgetChecks } from "../providers/coolify/src/provider/context";
import { forgetQueuedDeletes } from "../providers/coolify/src/provider/lookup";
import { implementationOf } from "../providers/coolify/src/provider/registry";
import type { Props, ResourceImpl } from "../providers/coolify/src/provider/types";
import { type Simulator, startSimulator } from "../test/simulator";

export interface Counted {
  /** Every API request, in order, as "METHOD path". */
  all: string[];
  /** Requests that do work (writes, lookups, reads). */
  requests: string[];
  /** Requests that only wait (deployment/app status polls, waiting for a queued delete). */
  polls: string[];
}

export interface PollTiming {
  /** Virtual seconds after the deploy request was answered. */
  atSeconds: number;
  request: string;
}

export interface ReferenceResult {
  label: string;
  phaseSeconds: number;
  declareServer: boolean;
  create: Counted;
  perResource: Record<string, Counted>;
  deployPolls: PollTiming[];
  /**
   * The simulator's schedule: the record is finished 2 phases after the deploy (queued, then
   * in_progress) and the app running:healthy one phase later. (The record's finished_at stamp is
   * not used: the simulator applies due transitions lazily and stamps them when next asked.)
   */
  deploymentFinishedAt: number;
  appHealthyAt: number;
  /** Virtual seconds the provider's Deployment.create took. */
  deploymentWaited: number;
  wallMs: number;
}

export interface FollowUpResult {
  noChangeDiff: Counted;
  refresh: Record<string, Counted>;
  envChange: { perResource: Record<string, Counted>; applied: boolean; newDeploymentFinished: boolean };
  destroy: { perResource: Record<string, Counted>; coolifyEmpty: boolean; wallMs: number };
  deleteDelaySeconds: number;
}

type LogEntry = ReturnType<Simulator["control"]["requestLog"]>[number];

const APP_IMAGE = { type: "dockerimage", image: "ghcr.io/eliza-coolify/eliza-agent", tag: "0.1.0" };
const FIVE_VARS = {
  LOG_LEVEL: "info",
  OPENAI_API_KEY: "sk-bench-0000000000000000",
  ELIZA_SERVER_AUTH_TOKEN: "bench-token-0000000000000000",
  POSTGRES_URL: "postgres://eliza:pw@db:5432/eliza",
  AGENT_CHARACTER_JSON: '{"name":"Bench"}',
};

const plainPath = (e: LogEntry) => `${e.method} ${e.path.split("?")[0]}`;

class Recorder {
  constructor(readonly sim: Simulator) {}

  apiLog(): LogEntry[] {
    return this.sim.control.requestLog().filter((e) => e.plane !== "agent");
  }

  /** Runs fn and returns the API requests it made (data-plane requests are left out). */
  async during(fn: () => Promise<unknown>): Promise<LogEntry[]> {
    this.sim.control.clearRequestLog();
    await fn();
    return this.apiLog();
  }
}

/**
 * Splits a resource operation's requests into work and waiting. While a Deployment waits every
 * GET is a poll; after a DELETE, GETs of the deleted object's own path are waiting for Coolify's
 * queued delete job, and so are a project's refused DELETEs ("has resources") and the GETs of
 * its environment while it waits for its children's jobs. Everything else is a request.
 */
function classify(entries: LogEntry[], kind: "deployment" | "database" | "other"): Counted {
  const all = entries.map(plainPath);
  const deleted = new Set(entries.filter((e) => e.method === "DELETE").map((e) => e.path.split("?")[0]));
  // A new database is waited on until healthy: GETs of one database are polls.
  const waitsOnDatabase = (path: string) => kind === "database" && /^\/api\/v1\/databases\/[^/]+$/.test(path);
  const projectWait = (path: string) =>
    [...deleted].some((d) => d?.startsWith("/api/v1/projects/") && path.startsWith(`${d}/`));
  const isPoll = (e: LogEntry) => {
    const path = e.path.split("?")[0] as string;
    if (e.method === "DELETE") return e.status === 400 && path.startsWith("/api/v1/projects/");
    return (
      e.method === "GET" &&
      (kind === "deployment" || deleted.has(path) || waitsOnDatabase(path) || projectWait(path))
    );
  };
  return {
    all,
    requests: entries.filter((e) => !isPoll(e)).map(plainPath),
    polls: entries.filter(isPoll).map(plainPath),
  };
}

function sum(parts: Counted[]): Counted {
  return {
    all: parts.flatMap((p) => p.all),
    requests: parts.flatMap((p) => p.requests),
    polls: parts.flatMap((p) => p.polls),
  };
}

async function checked(impl: ResourceImpl, news: Props, olds: Props = {}): Promise<Props> {
  const r = await impl.check(olds, news);
  if (r.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(r.failures)}`);
  return r.inputs;
}

interface Deployed {
  id: string;
  inputs: Props;
  outs: Props;
}

interface Stack {
  project: Deployed;
  database: Deployed;
  app: Deployed;
  env: Deployed;
  deployment: Deployed;
}

// As the shims get them (provider/registry.ts): with the preflight GET /version of a process's
// first check and the `deploy` probe before its first write, which a real run pays too.
const IMPLS: Record<keyof Stack, ResourceImpl> = {
  project: implementationOf("Project"),
  database: implementationOf("PostgresDatabase"),
  app: implementationOf("Application"),
  env: implementationOf("EnvVars"),
  deployment: implementationOf("Deployment"),
};

function pointSimulator(sim: Simulator, speedup: number): void {
  process.env.COOLIFY_URL = sim.url;
  process.env.COOLIFY_TOKEN = sim.rootToken;
  process.env.ELIZA_COOLIFY_POLL_SCALE = String(1 / speedup);
}

async function startSim(phaseMs: number, deleteDelayMs: number): Promise<Simulator> {
  // Validation on (if the OpenAPI document is there) like the tests; warnings go to stderr.
  return startSimulator({ port: 0, deploymentPhaseMs: phaseMs, deleteDelayMs });
}

/** Inputs for the reference stack, given what earlier resources returned. */
function declared(stack: Partial<Stack>, serverUuid: string | undefined, tag: string): Record<string, Props> {
  const p = stack.project?.outs ?? {};
  const where = {
    projectUuid: p.uuid,
    environment: p.environment,
    serverUuid: p.serverUuid,
  };
  return {
    project: {
      name: "eliza-bench",
      owner: "bench/dev/project",
      ...(serverUuid ? { serverUuid } : {}),
    },
    database: { ...where, name: "eliza-bench-postgres", owner: "bench/dev/postgres" },
    app: {
      ...where,
      name: "bench-agent",
      source: { ...APP_IMAGE },
      port: 3000,
      domains: ["https://bench.example.com"],
      owner: "bench/dev/app",
    },
    env: { applicationUuid: stack.app?.id, variables: { ...FIVE_VARS, LOG_LEVEL: tag } },
    deployment: {
      applicationUuid: stack.app?.id,
      triggers: {
        image: `${APP_IMAGE.image}:${APP_IMAGE.tag}`,
        env: String(stack.env?.outs.digest ?? ""),
        domains: String(stack.app?.outs.fqdn ?? ""),
      },
    },
  };
}

async function createOne(
  rec: Recorder,
  stack: Partial<Stack>,
  key: keyof Stack,
  serverUuid: string | undefined,
): Promise<LogEntry[]> {
  const impl = IMPLS[key];
  let inputs: Props = {};
  let made: { id: string; outs: Props } | undefined;
  const log = await rec.during(async () => {
    inputs = await checked(impl, declared(stack, serverUuid, "info")[key] as Props);
    made = await impl.create(inputs);
  });
  if (!made) throw new Error(`${key} was not created`);
  stack[key] = { id: made.id, inputs, outs: made.outs };
  return log;
}

/**
 * The reference work once. phaseMs is the simulator's deployment phase: queued, in_progress and
 * then the container's starting:unknown each last one phase.
 */
export async function referenceWork(opts: {
  label: string;
  phaseSeconds: number;
  declareServer: boolean;
  speedup: number;
  keep?: boolean;
}): Promise<{ result: ReferenceResult; sim: Simulator; stack: Stack; rec: Recorder }> {
  const sim = await startSim(opts.phaseSeconds * 1000, 10_000);
  sim.control.setClockSpeed(opts.speedup);
  pointSimulator(sim, opts.speedup);
  forgetQueuedDeletes(); // a new provider process, as a new pulumi command runs
  const rec = new Recorder(sim);
  const serverUuid = opts.declareServer ? String(sim.control.state().servers[0]?.uuid) : undefined;
  const stack: Partial<Stack> = {};
  const started = Date.now();
  const perResource: Record<string, Counted> = {};
  for (const key of ["project", "database", "app", "env"] as const) {
    perResource[key] = classify(
      await createOne(rec, stack, key, serverUuid),
      key === "database" ? "database" : "other",
    );
  }
  const v0 = sim.control.state().now;
  const r0 = Date.now();
  const depLog = await createOne(rec, stack, "deployment", serverUuid);
  const v1 = sim.control.state().now;
  perResource.deployment = classify(depLog, "deployment");
  const deployAnswered = depLog.find((e) => e.method === "POST");
  const anchor = deployAnswered ? deployAnswered.at + deployAnswered.durationMs : r0;
  const deployPolls = depLog
    .filter((e) => e.method === "GET")
    .map((e) => ({ atSeconds: ((e.at - anchor) * opts.speedup) / 1000, request: plainPath(e) }));
  const result: ReferenceResult = {
    label: opts.label,
    phaseSeconds: opts.phaseSeconds,
    declareServer: opts.declareServer,
    create: sum(Object.values(perResource)),
    perResource,
    deployPolls,
    deploymentFinishedAt: 2 * opts.phaseSeconds,
    appHealthyAt: 3 * opts.phaseSeconds,
    deploymentWaited: (v1 - v0) / 1000,
    wallMs: Date.now() - started,
  };
  return { result, sim, stack: stack as Stack, rec };
}

/** No-change diff, refresh, one changed env value, destroy: on a stack from referenceWork. */
export async function followUps(sim: Simulator, stack: Stack, rec: Recorder): Promise<FollowUpResult> {
  const keys = ["project", "database", "app", "env", "deployment"] as const;

  // A preview with nothing changed: check + diff per resource, as the engine calls them, in a
  // provider process of its own (which checks URL and token once).
  forgetChecks();
  const noChange = await rec.during(async () => {
    for (const key of keys) {
      const impl = IMPLS[key];
      const d = stack[key];
      const news = await checked(impl, declared(stack, undefined, "info")[key] as Props, d.outs);
      // Declared server or not, diff compares against state.
      const diff = await impl.diff(d.id, d.outs, {
        ...news,
        serverUuid: news.serverUuid ?? d.outs.serverUuid,
      });
      if (diff.changes) throw new Error(`${key}: diff reports changes with nothing changed`);
    }
  });

  const refresh: Record<string, Counted> = {};
  for (const key of keys) {
    const d = stack[key];
    refresh[key] = classify(
      await rec.during(async () => {
        const r = await IMPLS[key].read(d.id, d.outs);
        if (!r.id) throw new Error(`${key}: refresh lost the resource`);
      }),
      "other",
    );
  }

  // One env value changes: EnvVars updates, and the Deployment (its trigger is the env digest)
  // deploys again. Nothing else changes.
  const envChange: Record<string, Counted> = {};
  const deploymentsBefore = sim.control.state().deployments.length;
  for (const key of keys) {
    const impl = IMPLS[key];
    const d = stack[key];
    const news = await checked(impl, declared(stack, undefined, "debug")[key] as Props, d.outs);
    const full = key === "project" ? { ...news, serverUuid: news.serverUuid ?? d.outs.serverUuid } : news;
    const diff = await impl.diff(d.id, d.outs, full);
    if (!diff.changes) {
      envChange[key] = { all: [], requests: [], polls: [] };
      continue;
    }
    let outs: Props = {};
    const log = await rec.during(async () => {
      ({ outs } = await impl.update(d.id, d.outs, full));
    });
    stack[key] = { id: d.id, inputs: full, outs };
    envChange[key] = classify(log, key === "deployment" ? "deployment" : "other");
  }
  const state = sim.control.state();
  const appEnv = state.envs.find((e) => e.key === "LOG_LEVEL" && !e.is_preview);
  const newDeps = state.deployments.slice(deploymentsBefore);

  // Destroy in the engine's order (dependents first; app and database side by side), with
  // Coolify's delete job taking deleteDelay of virtual time at normal clock speed. The env vars
  // are skipped: ElizaAgent declares them `deletedWith` the application, so the engine never
  // calls their delete when the application goes in the same run.
  sim.control.setClockSpeed(1);
  process.env.ELIZA_COOLIFY_POLL_SCALE = "1";
  const destroy: Record<string, Counted> = {};
  const t0 = Date.now();
  const del = async (key: keyof Stack) => {
    const d = stack[key];
    const started = Date.now();
    await IMPLS[key].delete(d.id, d.outs);
    return { key, started, ended: Date.now() };
  };
  destroy.env = classify([], "other");
  for (const step of [["deployment"], ["app", "database"], ["project"]] as (keyof Stack)[][]) {
    const log = await rec.during(() => Promise.all(step.map(del)));
    // Attribute by path: an application's requests name its uuid, a database's its uuid.
    for (const key of step) {
      const id = stack[key].id;
      const mine =
        step.length === 1 ? log : log.filter((e) => e.path.includes(String(stack[key].outs.uuid ?? id)));
      destroy[key] = classify(mine, "other");
    }
  }
  const wallMs = Date.now() - t0;
  const after = sim.control.state();
  return {
    noChangeDiff: classify(noChange, "other"),
    refresh,
    envChange: {
      perResource: envChange,
      applied: typeof appEnv?.value === "string" ? appEnv.value === "debug" : false,
      newDeploymentFinished: newDeps.length === 1 && newDeps[0]?.status === "finished",
    },
    destroy: {
      perResource: destroy,
      coolifyEmpty: after.projects.length + after.applications.length + after.databases.length === 0,
      wallMs,
    },
    deleteDelaySeconds: 10,
  };
}

export { Recorder, sum };
