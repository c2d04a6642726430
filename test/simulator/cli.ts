// Run the Coolify simulator standalone: npx tsx test/simulator/cli.ts --port 8000
import { readFileSync } from "node:fs";
import { startSimulator } from "./index";

interface Args {
  port: number;
  host?: string;
  openapi?: string | null;
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
  coolifyVersion?: string;
  servers?: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--port" || a === "-p") out.port = Number(next());
    else if (a?.startsWith("--port=")) out.port = Number(a.slice("--port=".length));
    else if (a === "--host") out.host = next();
    else if (a === "--openapi") out.openapi = next();
    else if (a === "--no-validation") out.openapi = null;
    else if (a === "--tls-cert") out.tlsCert = next();
    else if (a === "--tls-key") out.tlsKey = next();
    else if (a === "--tls-port") out.tlsPort = Number(next());
    else if (a === "--coolify-version") out.coolifyVersion = next();
    else if (a === "--servers") out.servers = Number(next());
    else if (a === "--help" || a === "-h") {
      console.log(
        "usage: cli.ts [--port N] [--host H] [--coolify-version 4.3.11] [--servers 1] [--openapi FILE | --no-validation] [--tls-cert PEM --tls-key PEM [--tls-port N]]",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535)
    throw new Error("--port must be 0..65535");
  if (out.coolifyVersion !== undefined && !/^v?\d+\.\d+\.\d+/.test(out.coolifyVersion))
    throw new Error("--coolify-version takes a release such as 4.3.11 or 4.7.7");
  if (out.servers !== undefined && (!Number.isInteger(out.servers) || out.servers < 1 || out.servers > 26))
    throw new Error("--servers takes a whole number from 1 to 26");
  if (!out.tlsCert !== !out.tlsKey) throw new Error("--tls-cert and --tls-key go together");
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const sim = await startSimulator({
    port: args.port,
    host: args.host,
    openapiPath: args.openapi,
    tls:
      args.tlsCert && args.tlsKey
        ? { cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey, "utf8") }
        : undefined,
    tlsPort: args.tlsPort,
    version: args.coolifyVersion,
    servers: args.servers,
  });
  console.log(`Coolify simulator listening on ${sim.url} (started in ${Date.now() - t0} ms)`);
  console.log(`COOLIFY_URL=${sim.url}`);
  console.log(`COOLIFY_TOKEN=${sim.rootToken}`);
  if (sim.tlsUrl) console.log(`SIMULATOR_TLS_URL=${sim.tlsUrl}`);
  // Every server's proxy: the first one is the main listener above.
  for (const p of sim.proxies.slice(1)) {
    console.log(
      `SIMULATOR_PROXY server=${p.serverUuid} ip=${p.ip} url=${p.url}${p.tlsUrl ? ` tls=${p.tlsUrl}` : ""}`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`received ${signal}, stopping`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
