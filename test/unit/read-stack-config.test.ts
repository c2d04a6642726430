import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readStackConfig, StackConfigError } from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const agents = JSON.stringify([
  {
    name: "server-bod",
    characterFile: "characters/server-bod.character.json",
    source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
  },
]);

describe("readStackConfig (through pulumi.Config)", () => {
  beforeEach(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
      },
      "eliza-coolify",
      "prod",
    );
  });
  afterEach(() => pulumi.runtime.setAllConfig({}, []));

  it("reads structured and secret values and keeps secrets secret", async () => {
    pulumi.runtime.setAllConfig(
      {
        "eliza-coolify:agents": agents,
        "eliza-coolify:openaiApiKey": "sk-from-config",
        "eliza-coolify:adopt": "true",
        "coolify:url": "https://coolify.example.com",
        "coolify:token": "1|token",
      },
      ["eliza-coolify:openaiApiKey", "coolify:token"],
    );
    const config = readStackConfig(root);
    expect(config.stack).toBe("prod");
    expect(config.protect).toBe(true);
    expect(config.adopt).toBe(true);
    expect(config.agents.map((a) => a.name)).toEqual(["server-bod"]);
    expect(config.coolify.url).toBe("https://coolify.example.com");
    const key = config.modelKeys.openai as unknown as { isSecret: Promise<boolean> };
    expect(await key.isSecret).toBe(true);
  });

  it("rejects a secret stored in plain text", () => {
    pulumi.runtime.setAllConfig(
      { "eliza-coolify:agents": agents, "eliza-coolify:openaiApiKey": "sk-plain" },
      [],
    );
    expect(() => readStackConfig(root)).toThrow(StackConfigError);
    expect(() => readStackConfig(root)).toThrow(/openaiApiKey: is stored in plain text/);
  });
});
