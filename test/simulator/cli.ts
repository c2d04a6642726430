// Run the Coolify simulator standalone: npx tsx test/simulator/cli.ts --port 8000
import { startSimulator } from "./index";

function parseArgs(argv: string[]): { port: number; host?: string; openapi?: string | null } {
  const out: { port: number; host?: string; openapi?: string | null } = { port: 0 };
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
    else if (a === "--help" || a === "-h") {
      console.log("usage: cli.ts [--port N] [--host H] [--openapi FILE | --no-validation]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535)
    throw new Error("--port must be 0..65535");
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const sim = await startSimulator({
    port: args.port,
    host: args.host,
    openapiPath: args.openapi,
  });
  console.log(`Coolify simulator listening on ${sim.url} (started in ${Date.now() - t0} ms)`);
  console.log(`COOLIFY_URL=${sim.url}`);
  console.log(`COOLIFY_TOKEN=${sim.rootToken}`);
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
