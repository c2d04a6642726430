// There is no Docker engine here, so the image cannot be built in tests; this keeps the Dockerfile
// correct by construction: pinned bases, non-root user, health check, the port, the characters.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dockerfile = readFileSync(join(__dirname, "..", "Dockerfile"), "utf8");
const agentPackage = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Instructions with line continuations joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));
const named = (keyword: string) =>
  instructions.filter((line) => line.toUpperCase().startsWith(`${keyword} `));
const args = Object.fromEntries(
  named("ARG")
    .map((line) => /^ARG\s+(\w+)=(\S+)/i.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], m[2]]),
);

describe("agent/Dockerfile", () => {
  it("is multi-stage and every FROM is pinned to an exact version (no latest)", () => {
    const froms = named("FROM").map((line) => line.split(/\s+/)[1] ?? "");
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const image = from.replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? from);
      expect(image, `FROM ${from}`).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$/);
      expect(image).not.toMatch(/:latest\b/);
    }
    expect(dockerfile).not.toMatch(/\blatest\b/);
  });

  it("runs as a non-root user", () => {
    const users = named("USER").map((line) => line.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it("has a HEALTHCHECK on /health and exposes 3000", () => {
    const healthcheck = named("HEALTHCHECK");
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]).toContain("/health");
    expect(healthcheck[0]).toMatch(/--start-period=\d+s/);
    expect(named("EXPOSE")).toEqual(["EXPOSE 3000"]);
  });

  it("bakes the characters in and starts with elizaos start as PID 1", () => {
    expect(
      named("COPY").some((line) => line.includes("characters/") && line.includes("/app/characters")),
    ).toBe(true);
    expect(named("CMD")).toEqual(['CMD ["elizaos", "start"]']);
  });

  it("pins every @elizaos package and bun exactly, with @elizaos core packages at 1.7.2", () => {
    const all = { ...agentPackage.dependencies, ...agentPackage.devDependencies };
    for (const [name, version] of Object.entries(all)) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
    for (const name of ["cli", "core", "server", "plugin-sql", "plugin-bootstrap"]) {
      expect(agentPackage.dependencies[`@elizaos/${name}`]).toBe("1.7.2");
    }
    expect(agentPackage.dependencies.bun).toMatch(/^1\.3\.\d+$/);
  });

  it("keeps the runtime off the network (no plugin auto-install, no update check, local Sentry)", () => {
    const env = named("ENV").join(" ");
    for (const setting of [
      "ELIZA_NO_PLUGIN_AUTO_INSTALL=true",
      "ELIZA_NO_AUTO_INSTALL=true",
      "npm_config_offline=true",
      "ELIZA_UI_ENABLE=false",
      "SENTRY_DSN=http://disabled@127.0.0.1:9/0",
    ]) {
      expect(env).toContain(setting);
    }
  });
});
