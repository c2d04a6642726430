// A stateful in-memory Coolify 4.3 for tests, the demo and benchmarks. It follows
// /work/shared/notes/coolify-api.md (the running code, not the spec, where they differ).
import { createServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Core } from "./core";
import { defaultOpenapiPath, OpenApiValidator } from "./openapi";
import { SimServer } from "./server";
import type { Fault, Simulator, SimulatorControl, SimulatorOptions } from "./types";

export type {
  Ability,
  DeploymentOutcome,
  Fault,
  FaultMatch,
  RequestLogEntry,
  Simulator,
  SimulatorControl,
  SimulatorOptions,
  SimulatorState,
  TeamRole,
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

  const control: SimulatorControl = {
    reset() {
      core.reset();
      sim.resetRuntime();
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
  };
  sim.control_ = control;

  const server: HttpServer = createServer((req, res) => {
    sim.handle(req, res).catch((e) => {
      console.error("coolify simulator:", e);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "Server Error" }));
    });
  });
  server.keepAliveTimeout = 5_000;
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;

  let tlsServer: HttpsServer | undefined;
  let tlsPort: number | undefined;
  if (opts.tls) {
    // Serves application https domains: 200 when the Host matches a running app's https fqdn.
    tlsServer = createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
      core.clock.tick();
      const hostName = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
      const app = core.store.applications.find(
        (a) =>
          a.status.startsWith("running") &&
          (a.fqdn ?? "").split(",").some((d) => /^https:\/\//.test(d) && new URL(d).hostname === hostName),
      );
      if (app) {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(`ok ${app.uuid}\n`);
      } else {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("404 page not found\n");
      }
    });
    await listen(tlsServer, 0, host);
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
