// A preview runs on every pull request, and in a preview any input that comes from another
// resource's output is unknown while that resource changes (a database whose memory changes
// makes its URL, and so the whole env map of every agent, unknown). For every resource type,
// every input (and every value inside an object input) is made unknown in turn: check and diff
// must answer, never throw, and never claim a replacement from a value nobody knows yet.
import { describe, expect, it } from "vitest";
import { agentSmokeTestImpl } from "../resources/agent-smoke-test";
import { applicationImpl } from "../resources/application";
import { certificateCheckImpl } from "../resources/certificate-check";
import { deploymentImpl } from "../resources/deployment";
import { envVarsImpl, valueHash } from "../resources/env-vars";
import { postgresDatabaseImpl } from "../resources/postgres-database";
import { projectImpl } from "../resources/project";
import { randomSecretImpl } from "../resources/random-secret";
import { UNKNOWN } from "./inputs";
import type { Props, ResourceImpl } from "./types";

interface Case {
  impl: ResourceImpl;
  /** Inputs as the program declares them. */
  news: Props;
  /** What create adds to the checked inputs in state (or, with `olds`, the whole state). */
  outputs?: Props;
  olds?: Props;
}

/** State as create leaves it: the checked inputs plus the outputs (EnvVars keeps no values). */
async function stateOf(c: Case): Promise<Props> {
  if (c.olds) return c.olds;
  const { inputs } = await c.impl.check({}, c.news);
  const { __provider, ...rest } = inputs;
  return { ...rest, ...c.outputs };
}

const app = {
  projectUuid: "p1",
  environment: "production",
  serverUuid: "s1",
  name: "bod",
  description: "ElizaOS agent",
  source: { type: "dockerimage", image: "ghcr.io/x/agent", tag: "1.0" },
  port: 3000,
  healthCheck: { path: "/health" },
  limits: { memory: "1g", cpus: "1" },
  domains: ["https://bod.example.com"],
  owner: "owner-app",
};
const env = {
  applicationUuid: "a1",
  variables: { LOG_LEVEL: "info", POSTGRES_URL: "postgres://u:p@db:5432/eliza" },
  locked: ["POSTGRES_URL"],
};
const db = {
  projectUuid: "p1",
  environment: "production",
  serverUuid: "s1",
  name: "agents-db",
  limits: { memory: "512m" },
  owner: "owner-db",
};

const cases: Record<string, Case> = {
  Project: {
    impl: projectImpl,
    news: { name: "eliza agents", environment: "production", owner: "owner-p" },
    outputs: { uuid: "p1", serverUuid: "s1" },
  },
  Application: { impl: applicationImpl, news: app, outputs: { uuid: "a1", fqdn: "https://bod.example.com" } },
  PostgresDatabase: {
    impl: postgresDatabaseImpl,
    news: db,
    outputs: { password: "pw", uuid: "d1", internalUrl: "postgres://...", status: "running:healthy" },
  },
  EnvVars: {
    impl: envVarsImpl,
    news: env,
    olds: {
      applicationUuid: "a1",
      buildtime: [],
      locked: ["POSTGRES_URL"],
      keys: ["LOG_LEVEL", "POSTGRES_URL"],
      hashes: Object.fromEntries(Object.entries(env.variables).map(([k, v]) => [k, valueHash(k, v)])),
      generation: 1,
      digest: "d",
    },
  },
  Deployment: {
    impl: deploymentImpl,
    news: { applicationUuid: "a1", triggers: { image: "x:1", env: "digest" } },
    outputs: { deploymentUuid: "dep1", seconds: 5 },
  },
  RandomSecret: { impl: randomSecretImpl, news: { length: 48 }, outputs: { value: "v" } },
  AgentSmokeTest: {
    impl: agentSmokeTestImpl,
    news: { url: "https://bod.example.com", agentName: "Bod", triggers: { deployment: "dep1" } },
    outputs: { reply: "hi" },
  },
  CertificateCheck: {
    impl: certificateCheckImpl,
    news: { url: "https://bod.example.com", triggers: { deployment: "dep1" } },
    outputs: { validTo: "2027-01-01" },
  },
};

/** Every way to make one input unknown: the input itself, and each value inside an object input. */
function withOneUnknown(news: Props): { where: string; value: Props }[] {
  const out: { where: string; value: Props }[] = [];
  for (const [key, v] of Object.entries(news)) {
    out.push({ where: key, value: { ...news, [key]: UNKNOWN } });
    if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const inner of Object.keys(v)) {
        out.push({ where: `${key}.${inner}`, value: { ...news, [key]: { ...v, [inner]: UNKNOWN } } });
      }
    }
  }
  return out;
}

describe("previews with inputs that are not known yet", () => {
  for (const [type, c] of Object.entries(cases)) {
    it(`${type}: the declared inputs against their own state are no change`, async () => {
      const olds = await stateOf(c);
      const checked = await c.impl.check(olds, c.news);
      expect(checked.failures).toEqual([]);
      const diff = await c.impl.diff("id", olds, checked.inputs);
      expect(diff.changes).toBe(false);
    });

    for (const { where, value } of withOneUnknown(c.news)) {
      it(`${type}: ${where} unknown is checked and diffed without a claimed replacement`, async () => {
        const olds = await stateOf(c);
        const checked = await c.impl.check(olds, value);
        expect(checked.failures).toEqual([]);
        const diff = await c.impl.diff("id", olds, checked.inputs);
        expect(typeof diff.changes).toBe("boolean");
        expect(diff.replaces ?? []).toEqual([]);
      });
    }
  }

  it("EnvVars: a whole unknown env map (a database being updated) may change, decided at up", async () => {
    const c = cases.EnvVars as Case;
    const diff = await envVarsImpl.diff("id", await stateOf(c), { ...c.news, variables: UNKNOWN });
    expect(diff).toEqual({ changes: true, replaces: [] });
  });
});
