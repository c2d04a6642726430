// The serialized provider is what Pulumi stores in every resource's __provider. It must hold no
// credential, no deep node_modules path, stay small, and be the same for every resource of a
// type whatever the implementation does. The compiled shim is loaded with Node's own require
// (not vitest's transform), as the Pulumi runtime loads it.
import { createRequire } from "node:module";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";

const nodeRequire = createRequire(__filename);
const distShim = join(__dirname, "../../providers/coolify/dist/provider/shim.js");
const TYPES = ["Project", "Application", "PostgresDatabase", "EnvVars", "Deployment"];
/** Budget for one serialized provider, in characters. */
const SIZE_BUDGET = 2_500;

async function serialize(type: string): Promise<string> {
  const { makeShim } = nodeRequire(distShim) as { makeShim: (t: string) => pulumi.dynamic.ResourceProvider };
  const provider = makeShim(type);
  const s = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
  return s.text;
}

describe("serialized provider", () => {
  it.each(TYPES)(
    "%s: no credential, no deep path, within budget, loads the implementation by name",
    async (type) => {
      process.env.COOLIFY_TOKEN = "sentinel-token-4f1c";
      process.env.COOLIFY_URL = "https://sentinel-url.example";
      const text = await serialize(type);
      expect(text).not.toContain("sentinel-token-4f1c");
      expect(text).not.toContain("sentinel-url");
      expect(text).not.toMatch(/node_modules|\/work\/|providers\/coolify\/dist/);
      expect(text).toContain('require("@eliza-coolify/coolify")');
      expect(text).toContain(JSON.stringify(type));
      expect(text.length).toBeLessThan(SIZE_BUDGET);
    },
  );

  it("is identical across resource types but for the type name, so code changes never show as diffs", async () => {
    const a = await serialize("Project");
    const b = await serialize("Application");
    expect(a.replace('"Project"', '"X"')).toBe(b.replace('"Application"', '"X"'));
  });
});
