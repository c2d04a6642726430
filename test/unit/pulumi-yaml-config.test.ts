import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { KNOWN_KEYS, parseStackConfig, SECRET_KEYS } from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const block = (
  YAML.parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  }
).config as Record<string, Record<string, unknown>>;

describe("Pulumi.yaml config schema", () => {
  it("declares every known key except agents, secrets and stack-dependent booleans, each with a default", () => {
    // A declared key without a default is required by Pulumi, so only keys with a default are
    // declared; the others are documented in Pulumi.yaml's comments.
    const declared = Object.keys(block).map((k) => k.replace(/^eliza-coolify:/, ""));
    const undeclared = [
      "agents",
      "servers",
      "frontDoor",
      "protect",
      "protectDatabase",
      "backups",
      "rollback",
      ...SECRET_KEYS,
    ];
    expect(declared.sort()).toEqual(KNOWN_KEYS.filter((k) => !undeclared.includes(k)).sort());
    for (const [key, decl] of Object.entries(block)) expect(decl.default, key).toBeDefined();
    const comments = readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
    for (const key of undeclared) expect(comments, key).toContain(`eliza-coolify:${key}`);
  });

  it("uses only what Pulumi's project schema accepts for a declaration", () => {
    for (const [key, decl] of Object.entries(block)) {
      expect(["string", "integer", "boolean", "array"], key).toContain(decl.type);
      for (const field of Object.keys(decl)) {
        expect(["type", "items", "description", "secret", "default"], `${key}.${field}`).toContain(field);
      }
      if (decl.type === "array") expect(decl.items, key).toBeDefined();
      expect(typeof decl.description, key).toBe("string");
    }
  });

  it("declares no secret (secrets have no defaults, and declared keys need one)", () => {
    for (const [key, decl] of Object.entries(block)) expect(decl.secret, key).toBeUndefined();
  });

  it("its defaults are accepted by parseStackConfig in both database modes", () => {
    const defaults = Object.fromEntries(
      Object.entries(block)
        .filter(([, d]) => d.default !== undefined)
        .map(([k, d]) => [k.replace(/^eliza-coolify:/, ""), String(d.default)]),
    );
    const agents = [
      {
        name: "server-bod",
        characterFile: "characters/server-bod.character.json",
        source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
      },
    ];
    const ctx = { stack: "dev", baseDir: root };
    const full = parseStackConfig(
      { values: { ...defaults, agents, openaiApiKey: "k" }, secretKeys: ["openaiApiKey"] },
      ctx,
    );
    expect(full.database.mode).toBe("full");
    const slim = parseStackConfig(
      {
        values: {
          ...defaults,
          agents,
          openaiApiKey: "k",
          databaseMode: "slim",
          databaseUrl: "postgres://u:p@h/db",
        },
        secretKeys: ["openaiApiKey", "databaseUrl"],
      },
      ctx,
    );
    expect(slim.database.mode).toBe("slim");
  });
});
