// ElizaAgent and AgentDatabase with Pulumi mocks: which children they create, with which inputs,
// parents, dependencies and options. The config values come from lib/config.ts parseStackConfig
// fed with the real stack files, so the components see the shapes the program gives them.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Project } from "@eliza-coolify/coolify";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import YAML from "yaml";
import { ElizaAgent } from "../../components/agent";
import { AGENT_BASE_ENV, AGENT_PORT } from "../../components/agent-env";
import { AgentDatabase } from "../../components/database";
import {
  type AgentConfig,
  BASE_URL_ENV,
  MODEL_KEY_CONFIG,
  parseStackConfig,
  RESERVED_ENV,
  SIZE_LIMITS,
  type StackConfig,
  StackConfigError,
} from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const T = (type: string) => `pulumi-nodejs:dynamic/coolify:${type}`;
const DOCKER_IMAGE = "docker:index/image:Image";
const MODEL_KEY = "sk-unit-test-key-0000";
const SLIM_URL = "postgresql://eliza:pw-unit@db.internal:5432/eliza";
const DIGEST = `sha256:${"ab".repeat(32)}`;
/** The secret signature Pulumi's wire format wraps secret values in. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** What lib/config.ts accepts as an env var name in an agent's `env`. */
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

// ---------------------------------------------------------------------------------------------
// Config from the real stack files

/** `eliza-coolify:*` values of Pulumi.<stack>.yaml, keyed without the namespace. */
function stackFileValues(stack: string): Record<string, unknown> {
  const file = YAML.parse(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(file.config)
      .filter(([k]) => k.startsWith("eliza-coolify:"))
      .map(([k, v]) => [k.slice("eliza-coolify:".length), v]),
  );
}

/** parseStackConfig on a stack file plus the secrets `pulumi config set --secret` would add. */
function stackConfig(
  stack: "dev" | "prod",
  edit: (values: Record<string, unknown>) => void = () => {},
  secrets: Record<string, string> = {},
): StackConfig {
  const values: Record<string, unknown> = { ...stackFileValues(stack), openaiApiKey: MODEL_KEY, ...secrets };
  edit(values);
  return parseStackConfig(
    { values, secretKeys: ["openaiApiKey", ...Object.keys(secrets)] },
    { stack, baseDir: root },
  );
}

/** One agent of the dev stack, changed by `over` (undefined deletes a field). */
function devAgent(over: Record<string, unknown>, secrets: Record<string, string> = {}): AgentConfig {
  const config = stackConfig(
    "dev",
    (v) => {
      const [first] = v.agents as Record<string, unknown>[];
      const agent = { ...first, ...over };
      for (const [k, val] of Object.entries(over)) if (val === undefined) delete agent[k];
      v.agents = [agent];
    },
    secrets,
  );
  return config.agents[0] as AgentConfig;
}

// ---------------------------------------------------------------------------------------------
// Mocks and what the monitor saw

interface Registered {
  type: string;
  name: string;
  /** The request's inputs as serialized on the wire: secrets are still wrapped. */
  wire: Record<string, unknown>;
  /** The same inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  parent: string;
  dependencies: string[];
  protect: boolean | undefined;
  deletedWith: string;
}
const registered: Registered[] = [];

function isSecretWire(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}
function unwrapSecrets(v: unknown): unknown {
  if (isSecretWire(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean | undefined;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getDependenciesList(): string[];
  getDeletedwith(): string;
}

/** The mocks' newResource sees inputs only; the monitor request also has parent, deps, protect. */
function recordRegistrations(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: unknown): unknown;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const wire = req.getObject()?.toJavaScript() ?? {};
    registered.push({
      type: req.getType(),
      name: req.getName(),
      wire,
      inputs: unwrapSecrets(wire) as Record<string, unknown>,
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      protect: req.getProtect(),
      deletedWith: req.getDeletedwith(),
    });
    return original(req, cb);
  };
}

/** Coolify's answers, as the dynamic providers would give them. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case T("Project"):
      return { ...inputs, uuid: `uuid-${name}`, serverUuid: "server-0", environment: inputs.environment };
    case T("Application"): {
      const domains = (inputs.domains ?? []) as string[];
      return {
        ...inputs,
        uuid: `uuid-${name}`,
        fqdn: domains.join(","),
        url: domains[0] ?? "",
        status: "running:healthy",
        revision: 3,
      };
    }
    case T("EnvVars"): {
      const variables = unwrapSecrets(inputs.variables) as Record<string, string>;
      return { ...inputs, keys: Object.keys(variables).sort(), digest: `digest-of-${name}` };
    }
    case T("Deployment"):
      return { ...inputs, deploymentUuid: `deploy-${name}`, status: "finished" };
    case T("RandomSecret"):
      return { ...inputs, value: `random-${name}-value` };
    case T("PersistentStorage"):
      return { ...inputs, uuid: `uuid-${name}`, volumeName: `${inputs.applicationUuid}-${inputs.name}` };
    case T("PostgresDatabase"):
      return {
        ...inputs,
        uuid: `uuid-${name}`,
        internalUrl: `postgres://postgres:pw@uuid-${name}:5432/postgres`,
      };
    case T("CertificateCheck"):
      return { ...inputs, validTo: "2027-01-01T00:00:00.000Z", issuer: "CN=R11" };
    case T("AgentSmokeTest"):
      return { ...inputs, agentId: "agent-1", reply: "Hello from the agent", latencyMs: 42 };
    case DOCKER_IMAGE:
      // Like docker: the repository digest names the repository, not the tag that was pushed.
      return { ...inputs, repoDigest: `${String(inputs.imageName).replace(/:[^/:]+$/, "")}@${DIGEST}` };
    default:
      return inputs;
  }
}

/** An Output's value, secretness and knownness, without asserting inside an apply. */
async function resolve<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean; known: boolean }> {
  const internal = o as unknown as {
    promise(): Promise<T>;
    isSecret: Promise<boolean>;
    isKnown: Promise<boolean>;
  };
  return { value: await internal.promise(), secret: await internal.isSecret, known: await internal.isKnown };
}
const outputValue = async <T>(o: pulumi.Output<T>): Promise<T> => (await resolve(o)).value;

/** Waits until every registration in flight has reached the mock monitor. */
async function settle(...outputs: pulumi.Output<unknown>[]): Promise<void> {
  await Promise.all(outputs.map(outputValue));
  // Internal to the SDK (not in its .d.ts): resolves once no registration is in flight.
  await (runtimeSettings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

const childrenOf = (urn: string) => registered.filter((r) => r.parent === urn);
function only(list: Registered[], type: string): Registered {
  const found = list.filter((r) => r.type === type);
  expect(found.map((r) => r.name)).toHaveLength(1);
  return found[0] as Registered;
}

function newProject(name: string): Project {
  return new Project(name, { name: `eliza-${name}`, environment: "staging", serverUuid: "server-0" });
}

async function buildAgent(
  name: string,
  agent: AgentConfig,
  extra: Partial<ConstructorParameters<typeof ElizaAgent>[1]> = {},
) {
  const project = newProject(`${name}-project`);
  const component = new ElizaAgent(name, {
    agent,
    project,
    databaseUrl: pulumi.secret(SLIM_URL),
    modelKey: pulumi.secret(MODEL_KEY),
    network: { connectTo: "127.0.0.1:8443" },
    ...extra,
  });
  await settle(
    component.url,
    component.applicationUuid,
    component.deploymentUuid,
    component.apiToken,
    component.smokeTestReply,
  );
  const urn = await outputValue(component.urn);
  return { component, urn, children: childrenOf(urn), projectUrn: await outputValue(project.urn) };
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state = mockState(args.type, args.name, args.inputs);
        // The provider's id of a Coolify object is its uuid.
        return { id: String(state.uuid ?? state.deploymentUuid ?? `id-${args.name}`), state };
      },
      call: (args) => args.inputs,
    },
    "eliza-coolify",
    "dev",
    false,
  );
  recordRegistrations();
});

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------

describe("ElizaAgent with an image source and a domain (the dev stack's server-bod)", () => {
  const config = stackConfig("dev");
  const agent = config.agents[0] as AgentConfig;
  let built: Awaited<ReturnType<typeof buildAgent>>;

  beforeAll(async () => {
    expect(agent.name).toBe("server-bod");
    expect(agent.domain).toBe("https://bod.staging.example.com");
    built = await buildAgent("bod", agent);
  });

  it("creates the application, env, deployment, secrets, TLS check and smoke test as children", () => {
    expect(built.children.map((c) => `${c.type.replace(/.*[:/]/, "")} ${c.name}`).sort()).toEqual([
      "AgentSmokeTest bod-smoke-test",
      "Application bod-app",
      "Deployment bod-deployment",
      "EnvVars bod-env",
      "PersistentStorage bod-data",
      "RandomSecret bod-api-token",
      "RandomSecret bod-secret-salt",
      "TlsDomain bod-tls",
    ]);
  });

  it("gives the application port 3000, the /health check, the size's limits and the domain", () => {
    const app = only(built.children, T("Application"));
    expect(app.inputs).toMatchObject({
      projectUuid: "uuid-bod-project",
      environment: "staging",
      serverUuid: "server-0",
      name: "server-bod",
      description: "ElizaOS agent Server Bod",
      source: { type: "dockerimage", image: "ghcr.io/eliza-coolify/eliza-agent", tag: "0.1.0" },
      port: 3000,
      healthCheck: { path: "/health" },
      limits: SIZE_LIMITS.small,
      domains: ["https://bod.staging.example.com"],
    });
    expect(AGENT_PORT).toBe(3000);
    expect(app.inputs.limits).toEqual({ memory: "1g", cpus: "0.5" });
  });

  it("sets every program-set env var exactly once, every value a secret", () => {
    const env = only(built.children, T("EnvVars"));
    // Every value is a secret on the wire, not just the secret ones; the names are not, so a
    // preview with one value unknown (the database URL) still names the others.
    const wireVariables = env.wire.variables as Record<string, unknown>;
    expect(isSecretWire(wireVariables)).toBe(false);
    expect(Object.keys(wireVariables).length).toBeGreaterThan(5);
    for (const [key, value] of Object.entries(wireVariables)) {
      expect(isSecretWire(value), `${key} is a secret on the wire`).toBe(true);
    }
    expect(env.inputs.applicationUuid).toBe("uuid-bod-app");
    // Deleted with the application: destroy sends no request per variable.
    expect(env.deletedWith).toMatch(/coolify:Application::bod-app$/);
    const vars = env.inputs.variables as Record<string, string>;
    expect(vars).toMatchObject({
      POSTGRES_URL: SLIM_URL,
      ELIZA_SERVER_AUTH_TOKEN: "random-bod-api-token-value",
      SECRET_SALT: "random-bod-secret-salt-value",
      OPENAI_API_KEY: MODEL_KEY,
      LOG_LEVEL: "debug",
      ELIZA_UI_ENABLE: "false",
      SERVER_PORT: "3000",
      NODE_ENV: "production",
    });
    expect(JSON.parse(vars.AGENT_CHARACTER_JSON as string)).toEqual(agent.character);

    // What the program sets on its own (the agent's `env` is empty here) is exactly the reserved
    // list, less what does not apply to this agent, so a user `env` entry can never override one.
    expect(agent.env).toEqual({});
    const applies = (key: string) => {
      const modelKey = Object.values(MODEL_KEY_CONFIG).find((m) => m.env === key);
      if (modelKey) return key === MODEL_KEY_CONFIG.openai.env;
      if (Object.values(BASE_URL_ENV).includes(key)) return agent.modelBaseUrl !== undefined;
      // Reserved but never set: ElizaOS 1.7.2 connects with POSTGRES_URL, which wins over it.
      return key !== "DATABASE_URL";
    };
    const programSet = Object.keys(vars);
    expect(programSet.filter((k) => k in RESERVED_ENV).sort()).toEqual(
      Object.keys(RESERVED_ENV).filter(applies).sort(),
    );
    // Anything else the program sets is a name an agent's env cannot even spell (env names are
    // UPPER_SNAKE_CASE), such as npm_config_offline.
    expect(programSet.filter((k) => !(k in RESERVED_ENV) && ENV_NAME.test(k))).toEqual([]);
  });

  it("redeploys on the env digest, the image reference, the domains, the limits and the application's revision", () => {
    const deployment = only(built.children, T("Deployment"));
    expect(deployment.inputs).toMatchObject({
      applicationUuid: "uuid-bod-app",
      triggers: {
        env: "digest-of-bod-env",
        image: "ghcr.io/eliza-coolify/eliza-agent:0.1.0",
        domains: "https://bod.staging.example.com",
        limits: "1g/0.5",
        settings: "3",
      },
    });
    const envUrn = registered.find((r) => r.name === "bod-env");
    expect(envUrn).toBeDefined();
    expect(deployment.dependencies.some((d) => d.endsWith("::bod-env"))).toBe(true);
  });

  it("checks the certificate and then sends a chat message, through connectTo", () => {
    const tlsUrn = built.children.find((c) => c.name === "bod-tls");
    const check = registered.find(
      (r) => r.type === T("CertificateCheck") && r.name === "bod-tls-certificate",
    );
    expect(tlsUrn && check).toBeTruthy();
    expect(check?.parent).toMatch(/TlsDomain::bod-tls$/);
    expect(check?.inputs).toMatchObject({
      url: "https://bod.staging.example.com",
      connectTo: "127.0.0.1:8443",
      triggers: { deploymentUuid: "deploy-bod-deployment" },
    });

    const smoke = only(built.children, T("AgentSmokeTest"));
    expect(smoke.inputs).toMatchObject({
      url: "https://bod.staging.example.com",
      authToken: "random-bod-api-token-value",
      agentName: "Server Bod",
      connectTo: "127.0.0.1:8443",
      triggers: { deployment: "deploy-bod-deployment", env: "digest-of-bod-env" },
    });
    expect(isSecretWire((smoke.wire as Record<string, unknown>).authToken)).toBe(true);
    // After the deployment and after the TLS check (the component's children count as deps).
    expect(smoke.dependencies.some((d) => d.endsWith("::bod-deployment"))).toBe(true);
    expect(smoke.dependencies.some((d) => d.endsWith("::bod-tls-certificate"))).toBe(true);
  });

  it("exports the URL, ids, a secret API token and the smoke test's reply", async () => {
    const { component } = built;
    expect(await outputValue(component.url)).toBe("https://bod.staging.example.com");
    expect(await outputValue(component.applicationUuid)).toBe("uuid-bod-app");
    expect(await outputValue(component.deploymentUuid)).toBe("deploy-bod-deployment");
    expect(await outputValue(component.smokeTestReply)).toBe("Hello from the agent");
    expect(await resolve(component.apiToken)).toEqual({
      value: "random-bod-api-token-value",
      secret: true,
      known: true,
    });
  });
});

describe("ElizaAgent secret salt", () => {
  it("is protected when asked (it must outlive a destroy that stops at the database)", async () => {
    const { children } = await buildAgent("kept", devAgent({}), { protectSecretSalt: true });
    const byName = (n: string) => children.find((c) => c.name === n);
    expect(byName("kept-secret-salt")?.protect).toBe(true);
    // Nothing else: a protected Deployment or Application could not be replaced by an update.
    expect(children.filter((c) => c.protect).map((c) => c.name)).toEqual(["kept-secret-salt"]);
  });

  it("is not protected by default", async () => {
    const { children } = await buildAgent("loose", devAgent({}));
    expect(children.filter((c) => c.protect)).toEqual([]);
  });
});

describe("ElizaAgent without a domain", () => {
  it("creates no TLS check and no smoke test, and warns that nothing can reach it", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
    const agent = devAgent({ domain: undefined, size: "large" });
    expect(agent.domain).toBeUndefined();
    expect(agent.smokeTest).toBe(true);
    const { component, children } = await buildAgent("nodomain", agent);

    const types = children.map((c) => c.type);
    expect(types).not.toContain(T("AgentSmokeTest"));
    expect(types).not.toContain("eliza-coolify:index:TlsDomain");
    expect(registered.some((r) => r.name.startsWith("nodomain-tls"))).toBe(false);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/server-bod has no domain.*smokeTest: false/),
      component,
    );

    const app = only(children, T("Application"));
    expect(app.inputs.domains).toEqual([]);
    expect(app.inputs.limits).toEqual(SIZE_LIMITS.large);
    expect(only(children, T("Deployment")).inputs.triggers).toMatchObject({ domains: "", limits: "4g/2" });
    expect(await outputValue(component.url)).toBe("");
    expect(await outputValue(component.smokeTestReply)).toBeUndefined();
  });

  it("does not warn when the smoke test is switched off", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
    const { children } = await buildAgent("quiet", devAgent({ domain: undefined, smokeTest: false }));
    expect(children.map((c) => c.type)).not.toContain(T("AgentSmokeTest"));
    expect(warn).not.toHaveBeenCalled();
  });
});

describe("ElizaAgent sources", () => {
  it("maps a git source to a public repository that Coolify builds from its Dockerfile", async () => {
    const agent = devAgent({
      source: { type: "git", repository: "https://github.com/acme/eliza-agent", baseDirectory: "/agent" },
    });
    const { children } = await buildAgent("fromgit", agent);
    const app = only(children, T("Application"));
    expect(app.inputs.source).toEqual({
      type: "public",
      repository: "https://github.com/acme/eliza-agent",
      branch: "main",
      buildPack: "dockerfile",
      dockerfileLocation: "/Dockerfile",
      baseDirectory: "/agent",
    });
    expect(only(children, T("Deployment")).inputs.triggers).toMatchObject({
      image: "https://github.com/acme/eliza-agent#main",
    });
    expect(registered.some((r) => r.type === DOCKER_IMAGE && r.name.startsWith("fromgit"))).toBe(false);
  });

  it("runs an image pinned by digest by its digest alone", async () => {
    const ref = `ghcr.io/acme/eliza-agent:1.7.2@${DIGEST}`;
    const { children } = await buildAgent("pinned", devAgent({ source: { type: "image", image: ref } }));
    expect(only(children, T("Application")).inputs.source).toEqual({
      type: "dockerimage",
      image: `ghcr.io/acme/eliza-agent@${DIGEST}`,
    });
    expect(only(children, T("Deployment")).inputs.triggers).toMatchObject({ image: ref });
    // As Coolify stores a digest: the name ends in @sha256 and the hex is the tag.
    expect(only(children, T("Deployment")).inputs.image).toEqual({
      name: "ghcr.io/acme/eliza-agent@sha256",
      tag: DIGEST.replace("sha256:", ""),
    });
  });

  it("builds a `build` source with docker and runs the pushed image by digest", async () => {
    const agent = devAgent(
      {
        source: {
          type: "build",
          imageName: "ghcr.io/acme/eliza-agent",
          registry: { server: "ghcr.io", username: "acme-bot" },
        },
      },
      { registryPassword: "ghp_registry_password_123" },
    );
    expect(agent.source).toMatchObject({ type: "build", context: "agent", dockerfile: "Dockerfile" });
    const { children } = await buildAgent("built", agent, {
      registryPassword: pulumi.secret("ghp_registry_password_123"),
    });

    const image = only(children, DOCKER_IMAGE);
    expect(image.name).toBe("built-image");
    expect(image.inputs.imageName).toMatch(/^ghcr\.io\/acme\/eliza-agent:eliza-coolify-[a-z]+-[a-z-]+$/);
    expect(image.inputs).toMatchObject({
      build: { context: "agent", dockerfile: "agent/Dockerfile", platform: "linux/amd64" },
      registry: { server: "ghcr.io", username: "acme-bot", password: "ghp_registry_password_123" },
    });
    expect(isSecretWire((image.wire.registry as Record<string, unknown>).password)).toBe(true);

    const repoDigest = `ghcr.io/acme/eliza-agent@${DIGEST}`;
    const app = only(children, T("Application"));
    expect(app.inputs.source).toEqual({ type: "dockerimage", image: repoDigest });
    expect(app.dependencies.some((d) => d.endsWith("::built-image"))).toBe(true);
    expect(only(children, T("Deployment")).inputs.triggers).toMatchObject({ image: repoDigest });
  });
});

describe("the agent's env cannot replace what the program sets", () => {
  it.each(["AGENT_CHARACTER_JSON", "LOG_JSON_FORMAT", "ELIZA_UI_ENABLE"])(
    "rejects %s in an agent's env",
    (key) => {
      expect(() => devAgent({ env: { [key]: "x" } })).toThrow(StackConfigError);
      expect(() => devAgent({ env: { [key]: "x" } })).toThrow(
        new RegExp(`env.${key}: ${key} is set by the program`),
      );
    },
  );

  it("passes other env through as plain values", async () => {
    const agent = devAgent({ env: { CORS_ORIGIN: "https://app.example.com" } });
    const { children } = await buildAgent("withenv", agent);
    const vars = only(children, T("EnvVars")).inputs.variables as Record<string, string>;
    expect(vars.CORS_ORIGIN).toBe("https://app.example.com");
    expect(Object.keys(vars).filter((k) => !(k in RESERVED_ENV) && ENV_NAME.test(k))).toEqual([
      "CORS_ORIGIN",
    ]);
  });

  it("rejects program-set names that are not UPPER_SNAKE_CASE too", () => {
    const lower = Object.keys(AGENT_BASE_ENV).filter((k) => !ENV_NAME.test(k));
    for (const key of lower) {
      expect(() => devAgent({ env: { [key]: "false" } })).toThrow(/UPPER_SNAKE_CASE/);
    }
  });
});

describe("AgentDatabase", () => {
  it("full (the prod stack): a protected pgvector PostgresDatabase child whose URL is a secret", async () => {
    const config = stackConfig("prod");
    expect(config.database).toMatchObject({ mode: "full", memory: "2g", protect: true });
    const project = newProject("prod-project");
    const db = new AgentDatabase("db-full", { config: config.database, project });
    await settle(db.url, db.uuid);
    const children = childrenOf(await outputValue(db.urn));
    const pg = only(children, T("PostgresDatabase"));
    expect(children).toHaveLength(1);
    expect(pg.name).toBe("db-full-postgres");
    expect(pg.protect).toBe(true);
    expect(pg.inputs).toMatchObject({
      projectUuid: "uuid-prod-project",
      environment: "staging",
      serverUuid: "server-0",
      image: "pgvector/pgvector:0.8.0-pg17",
      limits: { memory: "2g" },
      isPublic: false,
    });
    expect(db.mode).toBe("full");
    expect(await outputValue(db.uuid)).toBe("uuid-db-full-postgres");
    expect(await resolve(db.url)).toMatchObject({
      value: "postgres://postgres:pw@uuid-db-full-postgres:5432/postgres",
      secret: true,
    });
  });

  it("full (the dev stack): not protected, so destroy removes it", async () => {
    const config = stackConfig("dev");
    const db = new AgentDatabase("db-dev", { config: config.database, project: newProject("dev-project") });
    await settle(db.url);
    const pg = only(childrenOf(await outputValue(db.urn)), T("PostgresDatabase"));
    expect(pg.protect).toBeFalsy();
    expect(pg.inputs.limits).toEqual({ memory: "512m" });
  });

  it("slim: no child at all, and the url is the given secret", async () => {
    const config = stackConfig(
      "dev",
      (v) => {
        v.databaseMode = "slim";
        delete v.databaseMemory;
      },
      { databaseUrl: SLIM_URL },
    );
    expect(config.database.mode).toBe("slim");
    const db = new AgentDatabase("db-slim", { config: config.database, project: newProject("slim-project") });
    await settle(db.url, db.uuid);
    expect(childrenOf(await outputValue(db.urn))).toEqual([]);
    expect(registered.some((r) => r.type === T("PostgresDatabase") && r.name.startsWith("db-slim"))).toBe(
      false,
    );
    expect(db.mode).toBe("slim");
    expect(await resolve(db.url)).toEqual({ value: SLIM_URL, secret: true, known: true });
    expect(await outputValue(db.uuid)).toBeUndefined();
  });
});

describe("placement on a listed server", () => {
  const main = { name: "main", uuid: "server-main" };
  const edge = {
    name: "edge",
    uuid: "server-edge",
    destinationUuid: "dest-edge",
    connectTo: "203.0.113.8:443",
  };

  it("puts the application on the agent's server, acknowledges its move, queues its deployment there", async () => {
    const agent = { ...(stackConfig("dev").agents[0] as AgentConfig), server: edge, moveFrom: main };
    const built = await buildAgent("placed", agent);
    expect(only(built.children, T("Application")).inputs).toMatchObject({
      serverUuid: "server-edge",
      destinationUuid: "dest-edge",
      serverName: "edge",
      moveFromServerUuid: "server-main",
    });
    expect(only(built.children, T("Deployment")).inputs.serverUuid).toBe("server-edge");
    expect(built.component.server).toBe("edge");
  });

  it("without a listed server: the project's server, no name, no move", async () => {
    const built = await buildAgent("unplaced", stackConfig("dev").agents[0] as AgentConfig);
    const app = only(built.children, T("Application"));
    expect(app.inputs.serverUuid).toBe("server-0");
    expect(app.inputs.serverName).toBeUndefined();
    expect(app.inputs.moveFromServerUuid).toBeUndefined();
    expect(built.component.server).toBeUndefined();
  });

  it("puts the full-mode database on its server", async () => {
    const config = stackConfig("dev");
    const db = new AgentDatabase("db-placed", {
      config: config.database,
      project: newProject("placed-project"),
      server: edge,
    });
    await settle(db.url);
    const pg = only(childrenOf(await outputValue(db.urn)), T("PostgresDatabase"));
    expect(pg.inputs).toMatchObject({
      serverUuid: "server-edge",
      destinationUuid: "dest-edge",
      serverName: "edge",
    });
  });
});

describe("ElizaAgent lifecycle: storage, rollback, running", () => {
  it("mounts a persistent storage at the data directory, deleted with the application, redeploying on it", async () => {
    const { children } = await buildAgent("kept-data", devAgent({}));
    const storage = only(children, T("PersistentStorage"));
    expect(storage.inputs).toMatchObject({
      applicationUuid: "uuid-kept-data-app",
      name: "eliza-data",
      mountPath: "/app/agent/.eliza",
    });
    expect(storage.deletedWith).toMatch(/coolify:Application::kept-data-app$/);
    const deployment = only(children, T("Deployment"));
    expect(deployment.dependencies.some((d) => d.endsWith("::kept-data-data"))).toBe(true);
    expect(deployment.inputs.triggers).toMatchObject({
      storage: "uuid-kept-data-app-eliza-data:/app/agent/.eliza",
    });
    const env = only(children, T("EnvVars")).inputs.variables as Record<string, string>;
    expect(env.ELIZA_DATA_DIR).toBe("/app/agent/.eliza");
  });

  it("gives the deployment its image, the smoke test, and the secret values to mask, as secrets", async () => {
    const { children } = await buildAgent("masked", devAgent({}));
    const deployment = only(children, T("Deployment"));
    expect(deployment.inputs).toMatchObject({
      running: true,
      rollback: false,
      image: { name: "ghcr.io/eliza-coolify/eliza-agent", tag: "0.1.0" },
      smokeTest: {
        url: "https://bod.staging.example.com",
        agentName: "Server Bod",
        connectTo: "127.0.0.1:8443",
      },
      smokeTestToken: "random-masked-api-token-value",
    });
    const wire = deployment.wire as Record<string, unknown>;
    expect(isSecretWire(wire.smokeTestToken)).toBe(true);
    expect(isSecretWire(wire.maskValues)).toBe(true);
    expect((deployment.inputs.maskValues as string[]).sort()).toEqual(
      [SLIM_URL, MODEL_KEY, "random-masked-api-token-value", "random-masked-secret-salt-value"].sort(),
    );
  });

  it("rolls back by default in production, and as each agent or the stack says", async () => {
    const prod = stackConfig("prod").agents[0] as AgentConfig;
    expect(prod.rollback).toBe(true);
    const { children } = await buildAgent("prodbod", prod);
    expect(only(children, T("Deployment")).inputs.rollback).toBe(true);
    const own = await buildAgent("own", devAgent({ rollback: true }));
    expect(only(own.children, T("Deployment")).inputs.rollback).toBe(true);
    const git = await buildAgent(
      "gitroll",
      devAgent({ source: { type: "git", repository: "https://github.com/acme/eliza-agent" } }),
    );
    // Git sources roll back by commit: no image to set.
    expect(only(git.children, T("Deployment")).inputs.image).toBeUndefined();
  });

  it("stopped: the deployment is told so, no TLS check and no smoke test, and a warning says what waits", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
    const { children } = await buildAgent("stopped", devAgent({ running: false }));
    expect(only(children, T("Deployment")).inputs.running).toBe(false);
    const types = children.map((c) => c.type);
    expect(types).not.toContain(T("AgentSmokeTest"));
    expect(types).not.toContain("eliza-coolify:index:TlsDomain");
    expect(types).toContain(T("PersistentStorage"));
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining("agent server-bod is stopped (running: false)"),
      expect.anything(),
    );
  });
});
