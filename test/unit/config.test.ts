import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  checkDomain,
  imagePinProblem,
  parseStackConfig,
  type RawStackConfig,
  SIZE_LIMITS,
  type StackConfig,
  StackConfigError,
} from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const ctx = { stack: "dev", baseDir: root };

const agent = (over: Record<string, unknown> = {}) => ({
  name: "server-bod",
  characterFile: "characters/server-bod.character.json",
  source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
  ...over,
});

function raw(values: Record<string, unknown>, secretKeys: string[] = ["openaiApiKey"]): RawStackConfig {
  return { values: { openaiApiKey: "sk-test-123", ...values }, secretKeys };
}

function problems(input: RawStackConfig, context: Parameters<typeof parseStackConfig>[1] = ctx): string {
  try {
    parseStackConfig(input, context);
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

/** Reads an Output's value and secretness outside a Pulumi run. */
async function unwrap(o: pulumi.Output<string> | undefined): Promise<{ value: unknown; secret: boolean }> {
  if (!o) throw new Error("no output");
  const internal = o as unknown as { promise(): Promise<unknown>; isSecret: Promise<boolean> };
  return { value: await internal.promise(), secret: await internal.isSecret };
}

describe("a valid configuration", () => {
  it("fills every default", () => {
    const config = parseStackConfig(raw({ agents: [agent()] }), ctx);
    expect(config.stack).toBe("dev");
    expect(config.project).toEqual({
      name: "eliza-agents-dev",
      description: expect.stringContaining("dev"),
      environment: "production",
    });
    expect(config.server).toEqual({});
    expect(config.database).toEqual({
      mode: "full",
      image: "pgvector/pgvector:0.8.0-pg17",
      memory: "1g",
      public: false,
      protect: false,
      recreateIfLost: false,
    });
    expect(config.protect).toBe(false);
    expect(config.adopt).toBe(false);
    expect(config.coolify).toEqual({});
    const [a] = config.agents;
    expect(a).toMatchObject({
      name: "server-bod",
      characterFile: "characters/server-bod.character.json",
      source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
      size: "medium",
      limits: SIZE_LIMITS.medium,
      modelProvider: "openai",
      logLevel: "info",
      env: {},
      smokeTest: true,
    });
    expect(a?.character.name).toBe("Server Bod");
    expect(a?.domain).toBeUndefined();
  });

  it("keeps secrets as pulumi secrets", async () => {
    const config = parseStackConfig(
      {
        values: {
          agents: [agent()],
          openaiApiKey: "sk-test-123",
          databaseMode: "slim",
          databaseUrl: "postgresql://u:p@db:5432/eliza",
        },
        secretKeys: ["openaiApiKey", "databaseUrl"],
        coolify: { url: "https://coolify.example.com/", token: "1|tok", tokenIsSecret: true },
      },
      ctx,
    );
    expect(await unwrap(config.modelKeys.openai)).toEqual({ value: "sk-test-123", secret: true });
    expect(config.database.mode).toBe("slim");
    if (config.database.mode === "slim") {
      expect(await unwrap(config.database.url)).toEqual({
        value: "postgresql://u:p@db:5432/eliza",
        secret: true,
      });
    }
    expect(config.coolify.url).toBe("https://coolify.example.com");
    expect(await unwrap(config.coolify.token)).toEqual({ value: "1|tok", secret: true });
    // Outputs given directly (already secret or not) come back as secrets.
    const fromOutput = parseStackConfig(
      { values: { agents: [agent()], openaiApiKey: pulumi.output("sk-out") } },
      ctx,
    );
    expect(await unwrap(fromOutput.modelKeys.openai)).toEqual({ value: "sk-out", secret: true });
  });

  it("reads every option", () => {
    const config = parseStackConfig(
      raw(
        {
          projectName: "my-agents",
          projectDescription: "desc",
          environment: "staging",
          serverUuid: "srv-1",
          destinationUuid: "dst-1",
          databaseImage: "pgvector/pgvector:0.8.1-pg17-bookworm",
          databaseMemory: "512m",
          protectDatabase: "true",
          protect: "false",
          adopt: true,
          anthropicApiKey: "sk-ant",
          agents: [
            agent({
              size: "large",
              limits: { memory: "3g" },
              domain: "https://Bod.Example.com/",
              logLevel: "debug",
              env: { FEATURE_X: "on", RETRIES: 3, VERBOSE: true },
              smokeTest: "false",
            }),
            {
              name: "scribe",
              characterFile: "characters/release-scribe.character.json",
              source: { type: "git", repository: "https://github.com/acme/agent" },
              size: "small",
              modelBaseUrl: "https://llm.internal/v1",
            },
            {
              name: "builder",
              characterFile: "characters/release-scribe.character.json",
              source: {
                type: "build",
                context: "characters",
                dockerfile: "schema.ts",
                imageName: "ghcr.io/acme/agent",
              },
            },
          ],
        },
        ["openaiApiKey", "anthropicApiKey"],
      ),
      ctx,
    );
    expect(config.project).toEqual({ name: "my-agents", description: "desc", environment: "staging" });
    expect(config.server).toEqual({ uuid: "srv-1", destinationUuid: "dst-1" });
    expect(config.database).toMatchObject({ mode: "full", memory: "512m", protect: true });
    expect(config.protect).toBe(false);
    expect(config.adopt).toBe(true);
    expect(Object.keys(config.modelKeys).sort()).toEqual(["anthropic", "openai"]);
    const [bod, scribe, builder] = config.agents;
    expect(bod).toMatchObject({
      size: "large",
      limits: { memory: "3g", cpus: "2" },
      domain: "https://bod.example.com",
      logLevel: "debug",
      env: { FEATURE_X: "on", RETRIES: "3", VERBOSE: "true" },
      smokeTest: false,
    });
    expect(scribe?.source).toEqual({
      type: "git",
      repository: "https://github.com/acme/agent",
      branch: "main",
      dockerfileLocation: "/Dockerfile",
      baseDirectory: "/",
    });
    expect(scribe?.limits).toEqual(SIZE_LIMITS.small);
    expect(scribe?.modelBaseUrl).toBe("https://llm.internal/v1");
    expect(builder?.source).toEqual({
      type: "build",
      context: "characters",
      dockerfile: "schema.ts",
      imageName: "ghcr.io/acme/agent",
    });
  });

  it("protects prod stacks by default", () => {
    for (const stack of ["prod", "production"]) {
      const config = parseStackConfig(raw({ agents: [agent()] }), { ...ctx, stack });
      expect(config.protect).toBe(true);
      expect(config.database).toMatchObject({ protect: true });
    }
  });

  it("accepts agents as a JSON string (as pulumi.Config.get returns structured values)", () => {
    const config = parseStackConfig(raw({ agents: JSON.stringify([agent()]) }), ctx);
    expect(config.agents).toHaveLength(1);
  });

  it("ollama needs no key but needs an endpoint", () => {
    const config = parseStackConfig(
      {
        values: {
          agents: [
            agent({
              modelProvider: "ollama",
              modelBaseUrl: "http://ollama:11434",
              characterFile: "characters/ollama.character.json",
            }),
          ],
        },
      },
      {
        ...ctx,
        readFile: () => JSON.stringify({ name: "O", bio: "b", plugins: ["@elizaos/plugin-ollama"] }),
      },
    );
    expect(config.agents[0]?.modelProvider).toBe("ollama");
    expect(config.modelKeys).toEqual({});
  });

  it("warns (without failing) about Anthropic without embeddings and secrets in a character", () => {
    const config: StackConfig = parseStackConfig(
      raw({ agents: [agent({ modelProvider: "anthropic" })], anthropicApiKey: "k" }, [
        "openaiApiKey",
        "anthropicApiKey",
      ]),
      {
        ...ctx,
        readFile: () =>
          JSON.stringify({
            name: "A",
            bio: "b",
            plugins: ["@elizaos/plugin-anthropic"],
            secrets: { X: "y" },
          }),
      },
    );
    expect(config.warnings.join("\n")).toContain("Anthropic has no embedding model");
    expect(config.warnings.join("\n")).toContain("contains secrets");
  });
});

describe("problems, all reported at once", () => {
  it("missing agents", () => {
    expect(problems(raw({}))).toContain("eliza-coolify:agents: at least one agent is required");
    expect(problems(raw({ agents: [] }))).toContain("eliza-coolify:agents: at least one agent is required");
    expect(problems(raw({ agents: { name: "x" } }))).toContain(
      "eliza-coolify:agents: expected a list of agent objects",
    );
    expect(problems(raw({ agents: "[nope" }))).toContain("eliza-coolify:agents: is not valid JSON");
  });

  it("duplicate agent names and invalid names", () => {
    const message = problems(
      raw({ agents: [agent(), agent({ domain: "https://b.example.com" }), agent({ name: "Server Bod" })] }),
    );
    expect(message).toContain('eliza-coolify:agents[1].name: "server-bod" is already used by agents[0]');
    expect(message).toContain("eliza-coolify:agents[2].name: must be 2-41 characters of lowercase letters");
  });

  it("bad character files name the agent, the file and the field", () => {
    const files: Record<string, string> = {
      "bad.character.json": JSON.stringify({ name: "X", bio: 5, lore: [] }),
      "broken.character.json": "{",
    };
    const message = problems(
      raw({
        agents: [
          agent({ characterFile: "characters/bad.character.json" }),
          agent({ name: "two", characterFile: "characters/broken.character.json" }),
          agent({ name: "three", characterFile: "characters/missing.character.json" }),
          agent({ name: "four", characterFile: "/abs/x.json" }),
        ],
      }),
      {
        ...ctx,
        readFile: (p) => {
          const content = files[path.basename(p)];
          if (content === undefined) throw new Error("ENOENT");
          return content;
        },
      },
    );
    expect(message).toContain(
      "eliza-coolify:agents[0].characterFile: characters/bad.character.json: bio: expected a string or an array of strings, got a number",
    );
    expect(message).toContain(
      "eliza-coolify:agents[0].characterFile: characters/bad.character.json: lore: unknown field",
    );
    expect(message).toContain(
      "eliza-coolify:agents[1].characterFile: characters/broken.character.json: invalid JSON",
    );
    expect(message).toContain(
      "eliza-coolify:agents[2].characterFile: characters/missing.character.json: file not found or unreadable",
    );
    expect(message).toContain("eliza-coolify:agents[3].characterFile: must be relative to the project root");
  });

  it("unpinned and malformed images", () => {
    const message = problems(
      raw({
        agents: [
          agent({ source: { type: "image", image: "ghcr.io/acme/agent" } }),
          agent({ name: "two", source: { type: "image", image: "ghcr.io/acme/agent:latest" } }),
          agent({ name: "three", source: { type: "image", image: "ghcr.io/acme/agent@sha256:abc" } }),
          agent({ name: "four", source: { type: "image", image: "GHCR.io/Acme/Agent:1" } }),
        ],
      }),
    );
    expect(message).toContain('agents[0].source.image: "ghcr.io/acme/agent" is not pinned');
    expect(message).toContain('agents[1].source.image: "ghcr.io/acme/agent:latest" uses :latest');
    expect(message).toContain(
      'agents[2].source.image: "ghcr.io/acme/agent@sha256:abc" has a malformed digest',
    );
    expect(message).toContain("agents[3].source.image:");
    expect(message).toContain("is not a valid image name");
  });

  it("image pinning rules", () => {
    expect(imagePinProblem("ghcr.io/acme/agent:1.7.2")).toBeUndefined();
    expect(imagePinProblem(`ghcr.io/acme/agent@sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(imagePinProblem(`ghcr.io/acme/agent:1.7.2@sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(imagePinProblem("localhost:5000/agent:1")).toBeUndefined();
    expect(imagePinProblem("localhost:5000/agent")).toMatch(/not pinned/);
    expect(imagePinProblem("agent:latest")).toMatch(/latest/);
  });

  it("domains: https only, valid hostname, no path or port, no duplicates", () => {
    const message = problems(
      raw({
        agents: [
          agent({ domain: "http://bod.example.com" }),
          agent({ name: "two", domain: "https://a.example.com/chat" }),
          agent({ name: "three", domain: "https://a.example.com:8443" }),
          agent({ name: "four", domain: "https://bad_host.example.com" }),
          agent({ name: "five", domain: "https://dup.example.com" }),
          agent({ name: "six", domain: "https://DUP.example.com/" }),
          agent({ name: "seven", domain: "bod.example.com" }),
        ],
      }),
    );
    expect(message).toContain(
      "agents[0].domain: must use https (got http) — write it as https://bod.example.com",
    );
    expect(message).toContain("agents[1].domain: must be a bare origin with no path");
    expect(message).toContain("agents[2].domain: must not name a port (8443)");
    expect(message).toContain("agents[3].domain:");
    expect(message).toContain("is not a valid DNS hostname");
    expect(message).toContain("agents[5].domain: https://dup.example.com is already used by agents[4]");
    expect(message).toContain("agents[6].domain:");
    expect(checkDomain("https://Agent.Example.com/")).toEqual({ domain: "https://agent.example.com" });
  });

  it("missing model keys, named per provider with the command to set them", () => {
    const message = problems({
      values: {
        agents: [
          agent(),
          agent({ name: "two", modelProvider: "openrouter" }),
          agent({ name: "three", modelProvider: "openrouter" }),
        ],
      },
    });
    expect(message).toContain(
      "eliza-coolify:openaiApiKey: is required because agents[0] uses modelProvider openai — pulumi config set --secret eliza-coolify:openaiApiKey <api key>",
    );
    expect(message).toContain(
      "eliza-coolify:openrouterApiKey: is required because agents[1], agents[2] use modelProvider openrouter",
    );
  });

  it("the provider's plugin must be in the character", () => {
    const message = problems(
      raw({ agents: [agent({ modelProvider: "google" })], googleApiKey: "g" }, [
        "openaiApiKey",
        "googleApiKey",
      ]),
    );
    expect(message).toContain(
      "agents[0].modelProvider: is google, but characters/server-bod.character.json does not list @elizaos/plugin-google-genai",
    );
  });

  it("secrets given as plain config", () => {
    const message = problems({
      values: {
        agents: [agent()],
        openaiApiKey: "sk-plain-value-123",
        databaseMode: "slim",
        databaseUrl: "postgresql://u:supersecretpw@db/eliza",
      },
      secretKeys: [],
      coolify: { token: "1|plain-token" },
    });
    expect(message).toContain(
      "eliza-coolify:openaiApiKey: is stored in plain text — store it encrypted: pulumi config set --secret eliza-coolify:openaiApiKey <value>",
    );
    expect(message).toContain("eliza-coolify:databaseUrl: is stored in plain text");
    expect(message).toContain(
      "coolify:token: is stored in plain text — store it encrypted: pulumi config set --secret coolify:token",
    );
    // Not "missing" as well: one problem per mistake.
    expect(message).not.toContain("openaiApiKey: is required");
    // The values themselves never appear in the error.
    for (const value of ["sk-plain-value-123", "supersecretpw", "plain-token"])
      expect(message).not.toContain(value);
  });

  it("unknown keys suggest the nearest known key", () => {
    const message = problems(
      raw({
        agents: [agent({ sise: "small", limits: { memroy: "1g" } })],
        databseMode: "slim",
        openAiApiKey: "x",
        zzzzzzzz: 1,
      }),
    );
    expect(message).toContain(
      "eliza-coolify:databseMode: unknown config key — did you mean eliza-coolify:databaseMode?",
    );
    expect(message).toContain(
      "eliza-coolify:openAiApiKey: unknown config key — did you mean eliza-coolify:openaiApiKey?",
    );
    expect(message).toContain("eliza-coolify:zzzzzzzz: unknown config key — remove it");
    expect(message).toContain('eliza-coolify:agents[0].sise: unknown key — did you mean "size"?');
    expect(message).toContain('eliza-coolify:agents[0].limits.memroy: unknown key — did you mean "memory"?');
  });

  it("slim mode without databaseUrl, with a bad URL, and with full-only keys", () => {
    expect(problems(raw({ agents: [agent()], databaseMode: "slim" }))).toContain(
      "eliza-coolify:databaseUrl: is required when databaseMode is slim — pulumi config set --secret eliza-coolify:databaseUrl",
    );
    const message = problems(
      raw(
        {
          agents: [agent()],
          databaseMode: "slim",
          databaseUrl: "mysql://x",
          databaseImage: "pgvector/pgvector:pg17",
        },
        ["openaiApiKey", "databaseUrl"],
      ),
    );
    expect(message).toContain(
      "eliza-coolify:databaseUrl: must be a postgres:// or postgresql:// connection URL",
    );
    expect(message).toContain("eliza-coolify:databaseImage: is only used when databaseMode is full");
    expect(problems(raw({ agents: [agent()], databaseMode: "external" }))).toContain(
      'eliza-coolify:databaseMode: must be "full"',
    );
  });

  it("full mode: pgvector image required unless overridden; databaseUrl rejected", () => {
    const message = problems(
      raw(
        { agents: [agent()], databaseImage: "postgres:17-alpine", databaseMemory: "lots", databaseUrl: "x" },
        ["openaiApiKey", "databaseUrl"],
      ),
    );
    expect(message).toContain('eliza-coolify:databaseImage: "postgres:17-alpine" is not a pgvector image');
    expect(message).toContain("allowNonPgvectorImage");
    expect(message).toContain("eliza-coolify:databaseMemory: must be a Docker memory size");
    expect(message).toContain("eliza-coolify:databaseUrl: is only used when databaseMode is slim");
    const ok = parseStackConfig(
      raw({ agents: [agent()], databaseImage: "acme/postgres-vector:17", allowNonPgvectorImage: "true" }),
      ctx,
    );
    expect(ok.database).toMatchObject({ image: "acme/postgres-vector:17" });
    expect(problems(raw({ agents: [agent()], databaseImage: "pgvector/pgvector" }))).toContain(
      "is not pinned",
    );
  });

  it("env: reserved keys say which config sets them; bad names and secret-looking keys rejected", () => {
    const message = problems(
      raw({
        agents: [
          agent({
            env: {
              POSTGRES_URL: "x",
              LOG_LEVEL: "debug",
              OPENAI_API_KEY: "k",
              lower_case: "x",
              DISCORD_API_TOKEN: "t",
              OK_VAR: "fine",
            },
          }),
        ],
      }),
    );
    expect(message).toContain(
      "agents[0].env.POSTGRES_URL: POSTGRES_URL is set by the program from the database config",
    );
    expect(message).toContain(
      "agents[0].env.LOG_LEVEL: LOG_LEVEL is set by the program from the agent's logLevel",
    );
    expect(message).toContain(
      "agents[0].env.OPENAI_API_KEY: OPENAI_API_KEY is set by the program from openaiApiKey",
    );
    expect(message).toContain("agents[0].env.lower_case: env var names must be UPPER_SNAKE_CASE");
    expect(message).toContain("agents[0].env.DISCORD_API_TOKEN: DISCORD_API_TOKEN looks like a secret");
    expect(message).not.toContain("OK_VAR");
  });

  it("sources: git URL, build paths, registry password; enums and limits", () => {
    const message = problems(
      raw({
        agents: [
          agent({
            source: {
              type: "git",
              repository: "git@github.com:acme/agent.git",
              dockerfileLocation: "Dockerfile",
            },
          }),
          agent({
            name: "two",
            source: {
              type: "build",
              context: "nope",
              imageName: "ghcr.io/acme/agent",
              registry: { server: "ghcr.io", username: "me" },
            },
          }),
          agent({ name: "three", source: { type: "build", imageName: "ghcr.io/acme/agent:1" } }),
          agent({ name: "four", source: { type: "zip" } }),
          agent({ name: "five", source: undefined }),
          agent({
            name: "six",
            size: "huge",
            logLevel: "verbose",
            modelProvider: "mistral",
            limits: { memory: "2GB", cpus: "-1" },
          }),
          agent({ name: "seven", modelProvider: "anthropic", modelBaseUrl: "https://x" }),
          agent({ name: "eight", modelProvider: "ollama" }),
        ],
      }),
    );
    expect(message).toContain("agents[0].source.repository: must be the https URL of a public repository");
    expect(message).toContain('agents[0].source.dockerfileLocation: must start with "/"');
    expect(message).toContain("agents[1].source.context: nope does not exist under the project root");
    expect(message).toContain(
      "eliza-coolify:registryPassword: is required because agents[1] pushes to ghcr.io",
    );
    expect(message).toContain('agents[2].source.imageName: "ghcr.io/acme/agent:1" must not include a tag');
    expect(message).toContain('agents[3].source.type: type must be "image", "git" or "build"');
    expect(message).toContain("agents[4].source: missing — give source:");
    expect(message).toContain("agents[5].size: one of small, medium, large");
    expect(message).toContain("agents[5].logLevel: one of fatal, error, warn, info, debug, trace");
    expect(message).toContain(
      "agents[5].modelProvider: one of openai, anthropic, openrouter, google, ollama",
    );
    expect(message).toContain("agents[5].limits.memory: must be a Docker memory size");
    expect(message).toContain("agents[5].limits.cpus: must be a positive number of CPUs");
    expect(message).toContain("agents[6].modelBaseUrl: the anthropic plugin has no base-URL setting");
    expect(message).toContain("agents[7].modelBaseUrl: is required for modelProvider ollama");
  });

  it("booleans, strings and the coolify URL", () => {
    const message = problems({
      ...raw({ agents: [agent()], protect: "yes", projectName: 5, environment: "prod env" }),
      coolify: { url: "coolify.example.com" },
    });
    expect(message).toContain("eliza-coolify:protect: expected true or false");
    expect(message).toContain("eliza-coolify:projectName: expected a string (got a number)");
    expect(message).toContain("eliza-coolify:environment: must be a Coolify environment name");
    expect(message).toContain("coolify:url: must be the http(s) URL of your Coolify instance");
  });

  it("lists many problems in one error with a count", () => {
    const err = (() => {
      try {
        parseStackConfig(
          {
            values: { agents: [agent({ domain: "http://x.example.com" }), agent()], agnets: [] },
            coolify: { token: "t" },
          },
          ctx,
        );
      } catch (e) {
        return e as StackConfigError;
      }
      throw new Error("expected failure");
    })();
    expect(err.problems.length).toBeGreaterThanOrEqual(5);
    expect(err.message).toMatch(/^Stack "dev" has an invalid configuration \(\d+ problems\):\n {2}\S/);
    for (const p of err.problems) expect(err.message).toContain(`${p.key}${p.path}: ${p.message}`);
  });
});

describe("bad input found by the fault matrix", () => {
  it("refuses an agent name that ends with '-' (not a DNS label)", () => {
    expect(problems(raw({ agents: [agent({ name: "server-" })] }))).toContain(
      "eliza-coolify:agents[0].name: must be 2-41 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
    );
  });

  it("refuses a rate budget that is not a whole number of requests per minute", () => {
    const input = { ...raw({ agents: [agent()] }), coolify: { rateLimitPerMinute: "fast" } };
    expect(problems(input)).toContain(
      "coolify:rateLimitPerMinute: must be a whole number of requests per minute",
    );
  });

  it("takes databaseRecreateIfLost only in full mode", () => {
    const cfg = parseStackConfig(raw({ agents: [agent()], databaseRecreateIfLost: true }), ctx);
    expect(cfg.database).toMatchObject({ mode: "full", recreateIfLost: true });
  });
});
