// `__provider` is what Pulumi stores twice in every dynamic resource (inputs and outputs), and
// what the Node dynamic-provider host loads to find the provider. It must hold no credential and
// no path, stay tiny, be the same for every resource of a type whatever the implementation does,
// and load the implementation as the host loads it: `require-from-string`, then `handler()`. The
// compiled package is loaded with Node's own require (not vitest's transform), as the host does.
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";

const nodeRequire = createRequire(__filename);
const dist = join(__dirname, "../../providers/coolify/dist");
const { providerText } = nodeRequire(join(dist, "provider/shim.js")) as {
  providerText: (t: string) => string;
};
// The host's own loader, resolved from @pulumi/pulumi as the host resolves it.
const requireFromString = createRequire(nodeRequire.resolve("@pulumi/pulumi"))("require-from-string") as (
  code: string,
) => { handler: () => pulumi.dynamic.ResourceProvider };

const TYPES = ["Project", "Application", "PostgresDatabase", "EnvVars", "Deployment", "PersistentStorage"];
/** Budget for one `__provider`, in characters (the serialized closure it replaced was 2,409). */
const SIZE_BUDGET = 200;

describe("__provider", () => {
  it.each(TYPES)("%s: no credential, no path, within budget, names the package and the type", (type) => {
    process.env.COOLIFY_TOKEN = "sentinel-token-4f1c";
    process.env.COOLIFY_URL = "https://sentinel-url.example";
    const text = providerText(type);
    expect(text).not.toContain("sentinel-token-4f1c");
    expect(text).not.toContain("sentinel-url");
    expect(text).not.toMatch(/node_modules|\/work\/|dist\//);
    expect(text).toContain('require("@eliza-coolify/coolify")');
    expect(text).toContain(JSON.stringify(type));
    expect(text.length).toBeLessThan(SIZE_BUDGET);
  });

  it("is identical across resource types but for the type name, so code changes never show as diffs", () => {
    expect(providerText("Project").replace('"Project"', '"X"')).toBe(
      providerText("Application").replace('"Application"', '"X"'),
    );
  });

  it("loads, as the host loads it, a provider whose methods run the type's implementation", async () => {
    const provider = requireFromString(providerText("RandomSecret")).handler();
    for (const method of ["configure", "check", "diff", "create", "read", "update", "delete"] as const)
      expect(typeof provider[method], method).toBe("function");
    // RandomSecret makes no request: its check and create show the implementation really runs.
    const checked = await provider.check?.({}, { length: 24 });
    expect(checked?.failures ?? []).toEqual([]);
    const created = await provider.create({ ...checked?.inputs, length: 24 });
    expect(String(created.outs.value)).toHaveLength(24);
  });

  it("for a type this version does not have, fails with what to do", async () => {
    const provider = requireFromString(providerText("NoSuchType")).handler();
    await expect(provider.check?.({}, {})).rejects.toThrow(
      /no resource type "NoSuchType".*install the version/,
    );
  });
});
