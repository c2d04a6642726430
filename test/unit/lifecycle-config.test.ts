// The lifecycle keys: eliza-coolify:rollback (default: on where the stack is protected) and each
// agent's running and rollback, with the problems a wrong value gives.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, type RawStackConfig, StackConfigError } from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const agent = (over: Record<string, unknown> = {}) => ({
  name: "server-bod",
  characterFile: "characters/server-bod.character.json",
  source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
  ...over,
});
const raw = (values: Record<string, unknown>): RawStackConfig => ({
  values: { openaiApiKey: "sk-test-123", ...values },
  secretKeys: ["openaiApiKey"],
});
const parse = (values: Record<string, unknown>, stack = "dev") =>
  parseStackConfig(raw(values), { stack, baseDir: root });

function problems(values: Record<string, unknown>): string {
  try {
    parse(values);
  } catch (e) {
    expect(e).toBeInstanceOf(StackConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

describe("lifecycle config", () => {
  it("runs every agent, with rollback on only where the stack is protected", () => {
    const dev = parse({ agents: [agent()] });
    expect(dev.lifecycle).toEqual({ rollback: false });
    expect(dev.agents[0]).toMatchObject({ running: true, rollback: false });
    const prod = parse({ agents: [agent()] }, "prod");
    expect(prod.protect).toBe(true);
    expect(prod.agents[0]).toMatchObject({ running: true, rollback: true });
    expect(parse({ agents: [agent()], protect: "true" }).agents[0]?.rollback).toBe(true);
  });

  it("takes the stack's rollback, and each agent's own over it", () => {
    const c = parse(
      {
        rollback: "true",
        agents: [agent(), agent({ name: "scribe", rollback: false, running: "false" })],
      },
      "dev",
    );
    expect(c.agents.map((a) => [a.name, a.rollback, a.running])).toEqual([
      ["server-bod", true, true],
      ["scribe", false, false],
    ]);
    expect(parse({ rollback: false, agents: [agent()] }, "prod").agents[0]?.rollback).toBe(false);
  });

  it("names the key and what it expects when a value is wrong", () => {
    const message = problems({ rollback: "yes", agents: [agent({ running: "no", rolback: true })] });
    expect(message).toContain("eliza-coolify:rollback: expected true or false");
    expect(message).toContain("eliza-coolify:agents[0].running");
    expect(message).toMatch(/whether the agent runs[^\n]*true or false/);
    expect(message).toContain('eliza-coolify:agents[0].rolback: unknown key — did you mean "rollback"?');
  });
});
