// The Dockerfile's structure: pinned bases, non-root user, health check, the port, the characters,
// and the rules that keep the image small and buildable behind a TLS-inspecting proxy. The image
// itself is built and run by `npm run test:production` (test/production).
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

  it("keeps every dependency in one layer: files are owned as copied, never chown -R'd afterwards", () => {
    expect(instructions.join("\n")).not.toMatch(/chown\s+-R/);
    const nodeModules = named("COPY").find((line) => line.includes("node_modules"));
    expect(nodeModules).toContain("--chown=node:node");
  });

  it("copies the characters last, so a character change rebuilds only that layer", () => {
    const copyOrRun = instructions.filter((line) => /^(COPY|RUN) /i.test(line));
    expect(copyOrRun.at(-1)).toMatch(/^COPY .*characters\/.*\/app\/characters\//);
  });

  it("trusts a CA bundle passed as the build secret ca_bundle in every step that fetches, without a certificate name", () => {
    const install = named("RUN").find((line) => line.includes("npm ci"));
    expect(install).toContain("--mount=type=secret,id=ca_bundle");
    expect(install).toContain("NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle");
    // Every step that downloads (npm, bun's install script through npm rebuild, apt) has the bundle.
    const fetching = named("RUN").filter((line) =>
      /\b(npm (ci|install|rebuild)|apt-get|curl|wget)\b/.test(line),
    );
    expect(fetching.length).toBeGreaterThanOrEqual(2);
    for (const run of fetching) {
      expect(run, run).toMatch(/--mount=type=secret,id=ca_bundle\b/);
      if (/apt-get/.test(run)) {
        expect(run).toContain("Acquire::https::CaInfo=/run/secrets/ca_bundle");
        // apt downloads as the unprivileged _apt user: a secret is root-only (0400) unless told.
        expect(run).toContain("--mount=type=secret,id=ca_bundle,mode=0444");
        // Every apt-get call gets the option, not just the first.
        expect(run.match(/apt-get "\$@"/g)?.length).toBe(run.match(/apt-get/g)?.length);
      } else expect(run).toContain("NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle");
    }
    // No certificate file is named in an instruction (the comment shows how to pass one).
    expect(instructions.join("\n")).not.toMatch(/\.(crt|pem)\b/);
  });
});
