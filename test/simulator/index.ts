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
import { defaultOpenapiPath, OpenApiValidator } from "./openapi";
import { SimServer } from "./server";
import type { Fault, Simulator, SimulatorControl, SimulatorOptions } from "./types";

export type {
  Ability,
  AgentBehaviour,
  DeploymentOutcome,
  Fault,
  FaultMatch,
  ImageBehaviour,
  RequestLogEntry,
  Simulator,
  SimulatorControl,
  SimulatorOptions,
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
    console.warn("coolify simulator: OpenAPI request validation is off (no document, or openapiPath: null)");
  }
  const core = new Core(
    {
      deleteDelayMs: opts.deleteDelayMs ?? 300,
      deploymentPhaseMs: opts.deploymentPhaseMs ?? 200,
      rateLimitPerMinute: opts.rateLimitPerMinute ?? 200,
      version: opts.version ?? "4.3.11",
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

  // One handler for both listeners: the proxy's requests (app domains) go to the data plane,
  // the rest to the Coolify API as before.
  const handler = (scheme: Scheme) => (req: IncomingMessage, res: ServerResponse) => {
    const run = plane.claims(req, scheme) ? plane.handle(req, res, scheme) : sim.handle(req, res);
    run.catch((e) => {
      console.error("coolify simulator:", e);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "Server Error" }));
    });
  };

  const server: HttpServer = createServer(handler("http"));
  server.keepAliveTimeout = 5_000;
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;

  let tlsServer: HttpsServer | undefined;
  let tlsPort: number | undefined;
  if (opts.tls) {
    // The proxy's https side: application https domains, certificate chosen by SNI.
    tlsServer = createHttpsServer(
      {
        cert: opts.tls.cert,
        key: opts.tls.key,
        SNICallback: (servername, cb) => {
          const name = servername.toLowerCase();
          cb(null, certOverrides.get(name) ?? configuredCerts.get(name));
        },
      },
      handler("https"),
    );
    tlsServer.keepAliveTimeout = 5_000;
    await listen(tlsServer, opts.tlsPort ?? 0, host);
    tlsPort = (tlsServer.address() as AddressInfo).port;
  }

  return {
    url,
    apiUrl: `${url}/api/v1`,
    rootToken: core.rootToken,
    control,
    tlsUrl: tlsPort ? `https://${host}:${tlsPort}` : undefined,
    tlsPort,
    close: async () => {
      await Promise.all([closeServer(server), tlsServer ? closeServer(tlsServer) : Promise.resolve()]);
    },
  };
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
