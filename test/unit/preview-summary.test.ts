import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  COMMENT_MARKER,
  changeRows,
  countChanges,
  displayType,
  inputChanges,
  main,
  type PreviewDigest,
  type PreviewStep,
  parseArgs,
  parseUrn,
  summarizePreview,
} from "../../scripts/preview-summary";

const dir = path.resolve(__dirname, "../fixtures/preview");
const fixtureText = (name: string) => readFileSync(path.join(dir, name), "utf8");
const fixture = (name: string) => JSON.parse(fixtureText(name)) as PreviewDigest;

/** Every string value under oldState/newState/config in a fixture: none may be printed. */
function stateValues(digest: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, inState: boolean) => {
    if (typeof v === "string") {
      if (inState && v.length >= 8) out.push(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, inState);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const state = inState || ["oldState", "newState", "config", "inputs", "outputs"].includes(k);
        // URNs, types and ids are names, not values.
        if (["urn", "type", "provider", "parent", "id"].includes(k)) continue;
        walk(x, state);
      }
    }
  };
  walk(digest, false);
  return out;
}

describe("URN parsing", () => {
  it("splits stack, project, type and name; dynamic types are shortened", () => {
    const urn =
      "urn:pulumi:dev::eliza-coolify::pulumi:pulumi:Stack$eliza-coolify:index:ElizaAgent$pulumi-nodejs:dynamic/coolify:Application::server-bod-app";
    expect(parseUrn(urn)).toEqual({
      stack: "dev",
      project: "eliza-coolify",
      type: "pulumi-nodejs:dynamic/coolify:Application",
      displayType: "coolify:Application",
      name: "server-bod-app",
    });
    expect(displayType("eliza-coolify:index:ElizaAgent")).toBe("eliza-coolify:ElizaAgent");
    expect(displayType("pulumi:pulumi:Stack")).toBe("pulumi:pulumi:Stack");
    expect(parseUrn("urn:pulumi:dev::p::t:m:T::name::with::colons").name).toBe("name::with::colons");
  });
});

describe("summarizePreview on a preview with every kind of change", () => {
  const digest = fixture("changes-dev.json");
  const md = summarizePreview(digest, { stack: "dev" });

  it("headline counts from changeSummary", () => {
    expect(countChanges(digest)).toEqual({ create: 2, update: 3, replace: 1, delete: 2, same: 4, other: 0 });
    expect(md).toContain("### Pulumi preview for stack `dev`: changes");
    expect(md).toContain(
      "**2** to create · **3** to update · **1** to replace · **2** to delete · 4 unchanged",
    );
  });

  it("collapses the replacement's steps into one row", () => {
    const rows = changeRows(digest).filter((r) => r.name === "server-bod-app");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.op).toBe("replace");
    expect(rows[0]?.ops).toEqual(["create-replacement", "replace", "delete-replaced"]);
  });

  it("flags replacements and deletes loudly", () => {
    expect(md).toContain("> [!CAUTION]");
    expect(md).toContain("**deletes 2 resources**");
    expect(md).toContain("**replaces 1 resource**");
    expect(md).toContain("> - REPLACE `coolify:Application` `server-bod-app`");
    expect(md).toContain("> - DELETE `coolify:Application` `release-scribe-app`");
    expect(md).toContain(
      "| **REPLACE** | `coolify:Application` | `server-bod-app` | **`serverUuid` (forces replacement)**, `image` |",
    );
    expect(md).toContain("| **DELETE** | `coolify:Application` | `release-scribe-app` | (removed) |");
  });

  it("lists changed properties by path from detailedDiff, falling back to diffReasons", () => {
    expect(md).toContain(
      "| update | `coolify:EnvVars` | `server-bod-env` | `vars.EXTRA_FLAG` (added), `vars.LOG_LEVEL`, `vars.OPENAI_API_KEY` |",
    );
    expect(md).toContain("| update | `coolify:PostgresDatabase` | `agents-db` | `limitsMemory` |");
    expect(md).toContain("| create | `coolify:Application` | `helper-bot-app` | (new) |");
  });

  it("says when only the serialized provider changed", () => {
    expect(md).toContain(
      "| update | `coolify:Deployment` | `server-bod-deploy` | provider code only (`__provider`) |",
    );
    expect(md).toContain("1 resource changes only in the serialized provider code");
  });

  it("orders rows: deletes, replacements, creates, updates; unchanged resources are left out", () => {
    const ops = md
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| Operation") && !l.startsWith("| ---"))
      .map((l) => l.split("|")[1]?.trim());
    expect(ops).toEqual([
      "**DELETE**",
      "**DELETE**",
      "**REPLACE**",
      "create",
      "create",
      "update",
      "update",
      "update",
    ]);
    expect(md).not.toContain("`project`");
  });

  it("shows warnings folded, with ANSI codes stripped, and not the info diagnostics", () => {
    expect(md).toContain("<details><summary>1 warning</summary>");
    expect(md).toContain("agents[0] (server-bod): Anthropic has no embedding model");
    expect(md).not.toContain("\u001b[");
    expect(md).not.toContain("reading stack config");
  });

  it("never prints a property value, secret or not", () => {
    const values = stateValues(digest);
    expect(values).toContain("sk-live-DO-NOT-LEAK-4242424242");
    expect(values).toContain("coolify-token-DO-NOT-LEAK-1|abcdef");
    for (const value of values) expect(md).not.toContain(value);
    expect(md).not.toContain("DO-NOT-LEAK");
    expect(md).not.toContain("ghcr.io/acme");
    expect(md).not.toContain("[secret]");
  });
});

describe("other previews", () => {
  it("no changes says so", () => {
    const md = summarizePreview(fixture("no-changes-prod.json"), { stack: "prod" });
    expect(md).toContain("### Pulumi preview for stack `prod`: no changes");
    expect(md).toContain(
      "**0** to create · **0** to update · **0** to replace · **0** to delete · 4 unchanged",
    );
    expect(md).toContain("No changes: the stack already matches this pull request.");
    expect(md).not.toContain("| Operation");
    expect(md).not.toContain("CAUTION");
  });

  it("a first deploy creates everything and never prints the generated password", () => {
    const digest = fixture("first-deploy-dev.json");
    const md = summarizePreview(digest, { stack: "dev" });
    expect(md).toContain("**8** to create · **0** to update");
    expect(md).not.toContain("CAUTION");
    for (const value of stateValues(digest)) expect(md).not.toContain(value);
  });

  it("errors are shown in full, ANSI-free, with the failing resource", () => {
    const md = summarizePreview(fixture("error-dev.json"), { stack: "dev" });
    expect(md).toContain("### Pulumi preview for stack `dev`: failed");
    expect(md).toContain("**2 errors:**");
    expect(md).toContain(
      "eliza-coolify:openaiApiKey: is required because agents[0] uses modelProvider openai",
    );
    expect(md).toContain("coolify:Application server-bod-app: coolify 401: token rejected");
    expect(md).not.toContain("\u001b[");
  });

  it("counts from steps when changeSummary is missing", () => {
    const digest = fixture("changes-dev.json");
    delete digest.changeSummary;
    expect(countChanges(digest)).toEqual({ create: 2, update: 3, replace: 1, delete: 2, same: 4, other: 0 });
  });

  it("escapes table cells and tolerates empty digests", () => {
    const md = summarizePreview(
      {
        steps: [
          {
            op: "update",
            urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/coolify:EnvVars::a|b`c",
            diffReasons: ["x|y"],
            detailedDiff: null,
          },
        ],
      },
      { stack: "dev" },
    );
    expect(md).toContain("`a\\|b'c`");
    expect(md).toContain("`x\\|y`");
    expect(summarizePreview({}, { stack: "dev" })).toContain("No changes");
  });

  it("maybeCorrupt is flagged and rows are capped", () => {
    const steps = Array.from({ length: 5 }, (_, i) => ({
      op: "create",
      urn: `urn:pulumi:dev::p::t:m:T::r${i}`,
    }));
    const md = summarizePreview({ steps, maybeCorrupt: true }, { stack: "dev", maxRows: 2 });
    expect(md).toContain("3 more not shown");
    expect(md).toContain("maybeCorrupt");
  });
});

describe("inputChanges: what changed, from the step's old and new inputs", () => {
  const step = (olds: Record<string, unknown>, news: Record<string, unknown>): PreviewStep => ({
    op: "update",
    urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/coolify:Application::a",
    oldState: { inputs: olds },
    newState: { inputs: news },
  });

  it("lists nested paths, additions and removals, never a value", () => {
    const changes = inputChanges(
      step(
        {
          limits: { memory: "1g", cpus: "1" },
          domains: ["https://a.example.com"],
          gone: "x",
          same: { a: 1 },
        },
        { limits: { memory: "2g", cpus: "1" }, domains: ["https://b.example.com"], added: 3, same: { a: 1 } },
      ),
    );
    expect(changes).toEqual([
      { path: "limits.memory", kind: "update" },
      { path: "domains", kind: "update" },
      { path: "gone", kind: "delete" },
      { path: "added", kind: "add" },
    ]);
  });

  it("cannot compare masked secrets: lists them only when nothing else changed", () => {
    expect(inputChanges(step({ token: "[secret]", port: 1 }, { token: "[secret]", port: 2 }))).toEqual([
      { path: "port", kind: "update" },
    ]);
    expect(inputChanges(step({ token: "[secret]", port: 1 }, { token: "[secret]", port: 1 }))).toEqual([
      { path: "token", kind: "secret" },
    ]);
    const md = summarizePreview(
      { steps: [step({ token: "[secret]" }, { token: "[secret]" })] },
      { stack: "dev" },
    );
    expect(md).toContain("`token` (secret, not compared)");
  });

  it("marks values not known until apply, and reports no removals while the inputs are partial", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(inputChanges(step({ uuid: "u1", message: "hi" }, { uuid: unknown }))).toEqual([
      { path: "uuid", kind: "unknown" },
    ]);
  });

  it("reads the names EnvVars lists in changedVariables instead of the one secret `variables`", () => {
    const changes = inputChanges(
      step(
        { applicationUuid: "u", variables: "[secret]", changedVariables: { OLD: "update" } },
        {
          applicationUuid: "u",
          variables: "[secret]",
          changedVariables: { LOG_LEVEL: "update", NEW_FLAG: "add", DROPPED: "delete" },
        },
      ),
    );
    expect(changes).toEqual([
      { path: "LOG_LEVEL", kind: "update" },
      { path: "NEW_FLAG", kind: "add" },
      { path: "DROPPED", kind: "delete" },
    ]);
  });

  it("says a variable whose value is known only at apply may change, not that it changes", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const envStep: PreviewStep = {
      ...step(
        { applicationUuid: "u", variables: { POSTGRES_URL: "[secret]", LOG_LEVEL: "[secret]" } },
        {
          applicationUuid: "u",
          variables: { POSTGRES_URL: unknown, LOG_LEVEL: "[secret]" },
          changedVariables: { POSTGRES_URL: "unknown" },
        },
      ),
      urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/coolify:EnvVars::a-env",
    };
    expect(inputChanges(envStep)).toEqual([{ path: "POSTGRES_URL", kind: "may-change" }]);
    const md = summarizePreview({ steps: [envStep] }, { stack: "dev" });
    expect(md).toContain(
      "| update | `coolify:EnvVars` | `a-env` | `POSTGRES_URL` (may change, known after apply) |",
    );
    expect(md).toContain("_Known after apply_:");
  });
});

describe("CLI", () => {
  const files: Record<string, string> = {
    "dev.json": fixtureText("changes-dev.json"),
    "prod.json": fixtureText("no-changes-prod.json"),
    "bad.json": "error: no stack named 'prod' found",
  };
  const readFile = (p: string) => {
    const content = files[p];
    if (content === undefined) throw new Error(`ENOENT: ${p}`);
    return content;
  };

  it("parses --stack alone (stdin) and --input/--stack pairs in either order", () => {
    expect(parseArgs(["--stack", "dev"]).inputs).toEqual([{ stack: "dev", input: undefined }]);
    expect(parseArgs(["--input", "a", "--stack", "dev", "--input", "b", "--stack", "prod"]).inputs).toEqual([
      { stack: "dev", input: "a" },
      { stack: "prod", input: "b" },
    ]);
    expect(parseArgs(["--stack", "dev", "--input", "a", "--stack", "prod", "--input", "b"]).inputs).toEqual([
      { stack: "dev", input: "a" },
      { stack: "prod", input: "b" },
    ]);
    expect(() => parseArgs([])).toThrow(/--stack/);
    expect(() => parseArgs(["--stack", "a", "--stack", "b"])).toThrow(/stdin/);
    expect(() => parseArgs(["--bogus"])).toThrow(/unknown argument/);
  });

  it("reads stdin for a single stack and starts with the marker", () => {
    const out = main(["--stack", "dev"], () => files["dev.json"] ?? "", readFile);
    expect(out.startsWith(COMMENT_MARKER)).toBe(true);
    expect(out).toContain("stack `dev`: changes");
  });

  it("combines several stacks and reports unreadable or non-JSON input without failing", () => {
    const out = main(
      [
        "--input",
        "dev.json",
        "--stack",
        "dev",
        "--input",
        "prod.json",
        "--stack",
        "prod",
        "--input",
        "bad.json",
        "--stack",
        "staging",
        "--input",
        "none.json",
        "--stack",
        "x",
      ],
      () => "",
      readFile,
    );
    expect(out.indexOf("stack `dev`")).toBeLessThan(out.indexOf("stack `prod`"));
    expect(out).toContain("stack `staging`: failed");
    expect(out).toContain("output is not preview JSON");
    expect(out).toContain("stack `x`: failed");
    expect(out).toContain("cannot read none.json");
    expect(out.split(COMMENT_MARKER)).toHaveLength(2);
  });
});

describe("real `pulumi preview --json` output of the dev stack (scripts/capture-preview-fixtures.ts)", () => {
  it("summarises a first deploy: everything created, nothing flagged", () => {
    const digest = fixture("real-first-deploy-dev.json");
    const md = summarizePreview(digest, { stack: "dev" });
    const creates = digest.changeSummary?.create ?? 0;
    expect(creates).toBeGreaterThan(10);
    expect(md).toContain(`**${creates}** to create`);
    expect(md).not.toContain("CAUTION");
    expect(md).toContain("`coolify:Application`");
  });

  it("flags the replacement a source change forces, and lists the updates", () => {
    const digest = fixture("real-changes-dev.json");
    const md = summarizePreview(digest, { stack: "dev" });
    // The app is replaced; its EnvVars and Deployment are updates whose application uuid is
    // known after apply (their providers decide at apply, when it is known).
    expect(md).toContain("**1** to replace");
    expect(md).toMatch(/REPLACE `coolify:Application` `release-scribe-app`/);
    expect(md).toMatch(/\| update \| `coolify:Application` \| `server-bod-app` \|/);
  });

  it("names the changed inputs the provider did not report, from the old and new inputs", () => {
    const md = summarizePreview(fixture("real-changes-dev.json"), { stack: "dev" });
    expect(md).toContain(
      "| update | `coolify:Application` | `server-bod-app` | `limits.cpus`, `limits.memory` |",
    );
    expect(md).toContain("**`source.type` (forces replacement)**");
    expect(md).toContain("**`source.image` (removed) (forces replacement)**");
    expect(md).toContain("`triggers.limits`");
    // An input that comes from a changing resource is named, as not known yet.
    expect(md).toContain("`triggers.domains` (known after apply)");
    expect(md).not.toContain("(not reported by the provider)");
  });

  it("names each changed env variable, a plain one and a secret one, and shows no value", () => {
    const digest = fixture("real-env-changes-dev.json");
    const md = summarizePreview(digest, { stack: "dev" });
    // agents[0].logLevel changed, and the model key both agents use (a secret).
    expect(md).toContain("| update | `coolify:EnvVars` | `server-bod-env` | `LOG_LEVEL`, `OPENAI_API_KEY` |");
    expect(md).toContain("| update | `coolify:EnvVars` | `release-scribe-env` | `OPENAI_API_KEY` |");
    expect(md).toContain(
      "| update | `coolify:Deployment` | `server-bod-deployment` | `triggers.env` (known after apply) |",
    );
    expect(md).toContain("Environment variables are named, never shown");
    expect(md).not.toContain("[secret]");
    // Nothing derived from a value either: the engine masks the keyed hashes and the digest, and
    // no hash-like string is in the capture at all.
    const envSteps = JSON.stringify((digest.steps ?? []).filter((s) => s.urn.endsWith("-env")));
    expect(envSteps).not.toMatch(/[0-9a-f]{64}/);
    expect(fixtureText("real-env-changes-dev.json")).not.toContain("sk-demo");
  });

  it("a database change: the database is updated; the agents' POSTGRES_URL may change, with no value", () => {
    const digest = fixture("real-database-changes-dev.json");
    const md = summarizePreview(digest, { stack: "dev" });
    // databaseMemory 512m -> 1g and a newer pgvector image: an update in place, no replacement.
    expect(md).toContain("**0** to create · **9** to update · **0** to replace · **0** to delete");
    expect(md).not.toContain("CAUTION");
    expect(md).toContain(
      "| update | `coolify:PostgresDatabase` | `agents-db-postgres` | `image`, `limits.memory` |",
    );
    // The database URL is an output of the database, not known during the preview: each agent's
    // EnvVars names POSTGRES_URL as something that may change, not as a definite update, and
    // names no other variable and not the whole masked set.
    for (const agent of ["server-bod", "release-scribe"]) {
      expect(md).toContain(
        `| update | \`coolify:EnvVars\` | \`${agent}-env\` | \`POSTGRES_URL\` (may change, known after apply) |`,
      );
    }
    expect(md).not.toMatch(/`POSTGRES_URL`(?! \(may change)/);
    expect(md).not.toContain("`variables`");
    expect(md).toContain("_Known after apply_:");
    // No value and nothing derived from one: no URL, password or hash in the comment.
    expect(md).not.toMatch(/postgres(ql)?:\/\//);
    expect(md).not.toMatch(/[0-9a-f]{32}/);
    expect(md).not.toContain("[secret]");
    expect(md).not.toContain("0.8.1");
    expect(md).not.toContain("1g");
  });

  it("prints no value from the real state", () => {
    for (const name of [
      "real-first-deploy-dev.json",
      "real-changes-dev.json",
      "real-env-changes-dev.json",
      "real-database-changes-dev.json",
    ]) {
      const digest = fixture(name);
      const md = summarizePreview(digest, { stack: "dev" });
      // Names appear in state too (an agent's name is a Coolify name input and part of URNs):
      // those are printed on purpose; any other state value must not be.
      const urns = (digest.steps ?? []).map((s) => s.urn).join("\n");
      const variableNames = new Set(
        (digest.steps ?? []).flatMap((s) => {
          const keys = (s.oldState as { outputs?: { keys?: unknown } } | undefined)?.outputs?.keys;
          return Array.isArray(keys) ? (keys as string[]) : [];
        }),
      );
      for (const value of stateValues(digest)) {
        // So are env variable names, which EnvVars keeps in its non-secret `keys` output.
        if (/^[a-z0-9]{24}$/.test(value) || urns.includes(value) || variableNames.has(value)) continue;
        // As a whole word: property paths are printed, and a value such as "dockerfile" is
        // part of the path `source.dockerfileLocation`.
        const word = new RegExp(`(?<![\\w.-])${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`);
        expect(md, `${name}: ${value.slice(0, 20)}`).not.toMatch(word);
      }
    }
  });
});
