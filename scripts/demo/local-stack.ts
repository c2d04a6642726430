// Runs this project's real program (dist/index.js with Pulumi.yaml and a stack file) against the
// Coolify simulator with a local file:// state backend, through Automation API. Used by
// `npm run demo` and the end-to-end tests.
//
// The program runs from a temp copy of the project files, so that stack config set here (the
// simulator's address, a demo model key) never touches the tracked Pulumi.<stack>.yaml.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import YAML from "yaml";
import { type Ability, type Simulator, type SimulatorOptions, startSimulator } from "../../test/simulator";

export const repoRoot = resolve(__dirname, "../..");
export const DEMO_PASSPHRASE = "eliza-coolify-local-demo";
/** The model key the demo stacks use: the simulator's agents accept any key but "invalid". */
export const DEMO_MODEL_KEY = "sk-demo-0000000000000000";

export interface Certificates {
  dir: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A throwaway CA and one server certificate for the given host names, made with openssl. */
export function makeCertificates(hosts: string[], days = 30): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "eliza-coolify-certs-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "60",
    "-subj",
    "/CN=eliza-coolify local CA",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    `/CN=${hosts[0]}`,
  );
  writeFileSync(join(dir, "san.ext"), `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}\n`);
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    String(days),
    "-extfile",
    "san.ext",
  );
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { dir, caPem: read("ca.pem"), certPem: read("server.pem"), keyPem: read("server.key") };
}

/** Host names of the agents' domains in a stack file (its text, or the repo's Pulumi.<stack>.yaml). */
export function stackDomains(stackName: string, stackFile?: string): string[] {
  const text = stackFile ?? readFileSync(join(repoRoot, `Pulumi.${stackName}.yaml`), "utf8");
  const file = YAML.parse(text) as {
    config?: Record<string, unknown>;
  };
  const agents = (file.config?.["eliza-coolify:agents"] ?? []) as { domain?: string }[];
  return agents.flatMap((a) => (a.domain ? [new URL(a.domain).hostname] : []));
}

/** A temp project dir: Pulumi.yaml, the stack file, the compiled program and the characters. */
export function prepareWorkDir(stackName: string, stackFile?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `eliza-coolify-${stackName}-`));
  for (const f of ["Pulumi.yaml", "package.json"]) cpSync(join(repoRoot, f), join(dir, f));
  const stackPath = `Pulumi.${stackName}.yaml`;
  if (stackFile === undefined) cpSync(join(repoRoot, stackPath), join(dir, stackPath));
  else writeFileSync(join(dir, stackPath), stackFile);
  cpSync(join(repoRoot, "dist"), join(dir, "dist"), { recursive: true });
  cpSync(join(repoRoot, "characters"), join(dir, "characters"), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  return dir;
}

export interface LocalStack {
  stack: Stack;
  sim: Simulator;
  certs: Certificates;
  workDir: string;
  stateDir: string;
  /** Everything the CLI printed. */
  output: string[];
  onOutput: (line: string) => void;
  close(): Promise<void>;
}

export async function openLocalStack(opts: {
  stackName: string;
  /** Extra stack config, e.g. for a test. */
  config?: Record<string, { value: string; secret?: boolean }>;
  /** Print the CLI's output as it comes. */
  echo?: boolean;
  /** Speed of waits (deploy polls, smoke-test bounds); default 0.01. */
  pollScale?: number;
  /** The simulated Coolify (its version, limits); TLS is always set up here. */
  simulator?: Omit<SimulatorOptions, "tls" | "port">;
  /** A token with just these abilities instead of the root token. */
  abilities?: Ability[];
  /** The stack file's text; default the repo's Pulumi.<stackName>.yaml. */
  stackFile?: string;
  /** Where the state goes (PULUMI_BACKEND_URL); default a new file:// directory. */
  backendUrl?: string;
  /** More environment for every pulumi command (e.g. PGPASSWORD for a PostgreSQL backend). */
  env?: Record<string, string>;
}): Promise<LocalStack> {
  const certs = makeCertificates(stackDomains(opts.stackName, opts.stackFile));
  const sim = await startSimulator({
    ...opts.simulator,
    port: 0,
    tls: { cert: certs.certPem, key: certs.keyPem },
  });
  const token = opts.abilities ? sim.control.createToken({ abilities: opts.abilities }) : sim.rootToken;
  const workDir = prepareWorkDir(opts.stackName, opts.stackFile);
  const stateDir = mkdtempSync(join(tmpdir(), "eliza-coolify-state-"));
  const home = join(stateDir, "home");
  mkdirSync(home);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, workDir },
    {
      pulumiHome: home,
      pulumiCommand: await PulumiCommand.get({ root: join(repoRoot, ".tools") }),
      envVars: {
        PULUMI_BACKEND_URL: opts.backendUrl ?? `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: DEMO_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: home,
        // Credentials reach the provider from the environment, never from state.
        COOLIFY_URL: sim.url,
        COOLIFY_TOKEN: token,
        ELIZA_COOLIFY_POLL_SCALE: String(opts.pollScale ?? 0.01),
        ...opts.env,
      },
    },
  );
  await stack.setAllConfig({
    "eliza-coolify:openaiApiKey": { value: DEMO_MODEL_KEY, secret: true },
    "eliza-coolify:connectTo": { value: `127.0.0.1:${sim.tlsPort}` },
    "eliza-coolify:caCertificate": { value: certs.caPem },
    ...opts.config,
  });
  const output: string[] = [];
  return {
    stack,
    sim,
    certs,
    workDir,
    stateDir,
    output,
    onOutput: (line) => {
      output.push(line);
      if (opts.echo) process.stdout.write(line);
    },
    async close() {
      await sim.close();
      for (const d of [workDir, stateDir, certs.dir]) rmSync(d, { recursive: true, force: true });
    },
  };
}
