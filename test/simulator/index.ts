// A stateful in-memory Coolify 4.3 for tests, the demo and benchmarks. It follows
// /work/shared/notes/coolify-api.md (the running code, not the spec, where they differ).
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import { AgentPlane, type Scheme } from "./agent-plane";
import { Core } from "./core";
import { defaultOpenapiPath, OPENAPI_HINT, OpenApiValidator } from "./openapi";
import { SimServer } from "./server";
import { MAX_SEEDED_SERVERS, seededServerIp, seededServerUuid } from "./state";
import type { Fault, Simulator, SimulatorControl, SimulatorOptions, SimulatorProxy } from "./types";

export type {
  Ability,
  AgentBehaviour,
  ApplicationBacking,
  BackupOutcome,
  DatabaseBacking,
  DeploymentOutcome,
  Fault,
  FaultMatch,
  ImageBehaviour,
  RequestLogEntry,
  Simulator,
  SimulatorControl,
  SimulatorOptions,
  SimulatorProxy,
  SimulatorState,
  TeamRole,
  TlsPem,
} from "./types";

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? "127.0.0.1";
  const openapiPath = opts.openapiPath === undefined ? defaultOpenapiPath() : opts.openapiPath;
  let validator: OpenApiValidator | null = null;
  if (openapiPath) {
    validator = OpenApiValidator.load(openapiPath);
  } else {
    console.warn(
      `coolify simulator: OpenAPI validation is off (${opts.openapiPath === null ? "openapiPath: null" : OPENAPI_HINT})`,
    );
  }
  const core = new Core(
    {
      deleteDelayMs: opts.deleteDelayMs ?? 300,
      deploymentPhaseMs: opts.deploymentPhaseMs ?? 200,
      rateLimitPerMinute: opts.rateLimitPerMinute ?? 200,
      version: opts.version ?? "4.3.11",
      servers: seededServers(opts.servers),
      trustedInternalHosts: opts.trustedInternalHosts ?? [],
    },
    validator,
  );
  const sim = new SimServer(core, (line) => console.error(line));
  // The data plane logs into the same request log (entries marked plane: "agent").
  const plane = new AgentPlane(core, (entry) => sim.st.log.push(entry));
  core.onContainerStart = (app, outcome) => plane.containerStarted(app, outcome);
  core.onContainerStop = (app) => plane.containerStopped(app);
  // SNI host -> certificate: the configured ones, then runtime overrides (setTlsCertificate).
  const configuredCerts = new Map<string, SecureContext>();
  for (const [h, pem] of Object.entries(opts.tls?.hosts ?? {}))
    configuredCerts.set(h.toLowerCase(), createSecureContext(pem));
  const certOverrides = new Map<string, SecureContext>();

  const control: SimulatorControl = {
    reset() {
      core.reset();
      sim.resetRuntime();
      plane.reset();
      certOverrides.clear();
    },
    createToken: (o) => core.createToken(o),
    setApiEnabled(enabled) {
      core.store.apiEnabled = enabled;
    },
    injectFault(f: Fault) {
      sim.st.faults.push({ fault: f, remaining: Math.max(1, f.count ?? 1) });
    },
    clearFaults() {
      sim.st.faults = [];
    },
    requestLog: () => sim.st.log.map((e) => ({ ...e })),
    inFlight: () => [...sim.st.inFlight].map((e) => ({ ...e })),
    responseViolations: () => [...sim.st.responseViolations],
    clearRequestLog() {
      sim.st.log = [];
    },
    state: () => core.state(),
    setDeploymentOutcome(appUuid, outcome) {
      if (outcome !== "success" && outcome !== "fail" && outcome !== "unhealthy")
        throw new Error(`unknown deployment outcome ${String(outcome)}`);
      core.store.outcomes.set(appUuid, outcome);
    },
    setClockSpeed: (factor) => core.clock.setSpeed(factor),
    step: (ms) => core.clock.step(ms),
    setAgentBehaviour: (appUuid, behaviour) => plane.setBehaviour(appUuid, behaviour),
    setBackupOutcome(databaseUuid, outcome) {
      if (outcome !== "success" && outcome !== "fail")
        throw new Error(`unknown backup outcome ${String(outcome)}`);
      core.backupJobs.outcomes.set(databaseUuid, outcome);
    },
    runScheduledBackups() {
      for (const b of core.store.backups) if (b.enabled) core.backupJobs.dispatch(b);
    },
    backupJobsIdle: () => core.backupJobs.idle(),
    serverFile: (path) => core.store.serverFiles.get(path),
    backDatabase: (uuid, backing) => core.backings.backDatabase(uuid, backing),
    backApplication: (uuid, backing) => core.backings.backApplication(uuid, backing),
    setImageBehaviour: (image, behaviour) => core.runtime.setImageBehaviour(image, behaviour),
    setGitHead: (repository, branch, commit) => core.runtime.setGitHead(repository, branch, commit),
    writeContainerFile: (appUuid, path, content) => core.runtime.writeFile(appUuid, path, content),
    readContainerFile: (appUuid, path) => core.runtime.readFile(appUuid, path),
    setTlsCertificate(host, pem) {
      if (!opts.tls) throw new Error("setTlsCertificate needs the tls option");
      if (pem) certOverrides.set(host.toLowerCase(), createSecureContext(pem));
      else certOverrides.delete(host.toLowerCase());
    },
  };
  sim.control_ = control;

  // Server k's proxy. The store is re-seeded on reset, so the server is looked up per request.
  const serverIdOf = (k: number) => core.store.servers[k]?.id ?? -1;
  const onError = (res: ServerResponse) => (e: unknown) => {
    console.error("coolify simulator:", e);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ message: "Server Error" }));
  };
  // The main listeners: the first server's proxy (its applications' domains go to the data plane)
  // and, for everything else, the Coolify API as before.
  const mainHandler = (scheme: Scheme) => (req: IncomingMessage, res: ServerResponse) => {
    const serverId = serverIdOf(0);
    const run = plane.claims(req, scheme, serverId)
      ? plane.handle(req, res, scheme, serverId)
      : sim.handle(req, res);
    run.catch(onError(res));
  };
  // Another server's proxy: only its own applications; Coolify's API does not run there.
  const proxyHandler = (scheme: Scheme, k: number) => (req: IncomingMessage, res: ServerResponse) => {
    plane.handle(req, res, scheme, serverIdOf(k)).catch(onError(res));
  };
  const tlsOptions = () => ({
    cert: opts.tls?.cert,
    key: opts.tls?.key,
    SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
      const name = servername.toLowerCase();
      cb(null, certOverrides.get(name) ?? configuredCerts.get(name));
    },
  });

  const listeners: (HttpServer | HttpsServer)[] = [];
  const proxies: SimulatorProxy[] = [];
  for (let k = 0; k < core.opts.servers; k++) {
    const main = k === 0;
    const server: HttpServer = createServer(main ? mainHandler("http") : proxyHandler("http", k));
    server.keepAliveTimeout = 5_000;
    await listen(server, main ? (opts.port ?? 0) : 0, host);
    listeners.push(server);
    const port = (server.address() as AddressInfo).port;
    const proxy: SimulatorProxy = {
      serverUuid: seededServerUuid(k),
      ip: seededServerIp(k),
      url: `http://${host}:${port}`,
      port,
    };
    if (opts.tls) {
      // The proxy's https side: application https domains, certificate chosen by SNI.
      const tlsServer = createHttpsServer(
        tlsOptions(),
        main ? mainHandler("https") : proxyHandler("https", k),
      );
      tlsServer.keepAliveTimeout = 5_000;
      await listen(tlsServer, main ? (opts.tlsPort ?? 0) : 0, host);
      listeners.push(tlsServer);
      proxy.tlsPort = (tlsServer.address() as AddressInfo).port;
      proxy.tlsUrl = `https://${host}:${proxy.tlsPort}`;
    }
    proxies.push(proxy);
  }
  const first = proxies[0] as SimulatorProxy;

  return {
    url: first.url,
    apiUrl: `${first.url}/api/v1`,
    rootToken: core.rootToken,
    control,
    tlsUrl: first.tlsUrl,
    tlsPort: first.tlsPort,
    proxies,
    close: async () => {
      await Promise.all(listeners.map(closeServer));
    },
  };
}

function seededServers(n: number | undefined): number {
  const servers = n ?? 1;
  if (!Number.isInteger(servers) || servers < 1 || servers > MAX_SEEDED_SERVERS)
    throw new Error(`servers must be a whole number from 1 to ${MAX_SEEDED_SERVERS} (got ${n})`);
  return servers;
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
