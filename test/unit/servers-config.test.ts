// Several servers in the stack config: the list, where each agent goes (pinned, spread, or with
// the full-mode database), the acknowledged move, and every problem at preview.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, type RawStackConfig, rendezvousServer, StackConfigError } from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const ctx = { stack: "dev", baseDir: root };

const A = { name: "main", uuid: "aaaaaaaaaaaaaaaaaaaaaaaa" };
const B = { name: "edge", uuid: "bbbbbbbbbbbbbbbbbbbbbbbb", connectTo: "203.0.113.8:443" };
const C = { name: "spare", uuid: "cccccccccccccccccccccccc", destinationUuid: "dddddddddddddddddddddddd" };

const agent = (name: string, over: Record<string, unknown> = {}) => ({
  name,
  characterFile: "characters/server-bod.character.json",
  source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
  ...over,
});
const slim = { databaseMode: "slim", databaseUrl: "postgres://u:p@pg.example.com:5432/eliza" };

function raw(values: Record<string, unknown>): RawStackConfig {
  return { values: { openaiApiKey: "sk-test", ...values }, secretKeys: ["openaiApiKey", "databaseUrl"] };
}

function problems(values: Record<string, unknown>): string {
  try {
    parseStackConfig(raw(values), ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

const names = (n: number, prefix = "agent") =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);

describe("the server list", () => {
  it("keeps the one-server form as it was: no list, agents without a server", () => {
    const config = parseStackConfig(raw({ serverUuid: A.uuid, agents: [agent("bod")] }), ctx);
    expect(config.server).toEqual({ uuid: A.uuid });
    expect(config.servers).toEqual([]);
    expect(config.databaseServer).toBeUndefined();
    expect(config.agents[0]?.server).toBeUndefined();
  });

  it("spreads unpinned agents over the servers (slim), keeps pinned ones, resolves moveFrom", () => {
    const config = parseStackConfig(
      raw({
        ...slim,
        servers: [A, B, C],
        agents: [agent("bod", { server: "edge", moveFrom: "main" }), ...names(30).map((n) => agent(n))],
      }),
      ctx,
    );
    expect(config.servers).toEqual([A, B, C]);
    const [bod, ...rest] = config.agents;
    expect(bod).toMatchObject({ server: B, placed: "pinned", moveFrom: A });
    for (const a of rest) {
      expect(a.placed).toBe("spread");
      expect(a.server).toEqual(rendezvousServer(a.name, [A, B, C]));
    }
    // 30 agents land on every one of the three servers.
    expect(new Set(rest.map((a) => a.server?.name))).toEqual(new Set(["main", "edge", "spare"]));
  });

  it("reads the list as a JSON string too (how pulumi.Config returns structured values)", () => {
    const config = parseStackConfig(
      raw({
        ...slim,
        servers: JSON.stringify([A, B]),
        agents: JSON.stringify([agent("bod", { server: "edge" })]),
      }),
      ctx,
    );
    expect(config.agents[0]?.server).toEqual(B);
  });

  it("full mode: the database on the first server or databaseServer, unpinned agents with it", () => {
    const first = parseStackConfig(raw({ servers: [A, B], agents: [agent("bod"), agent("scribe")] }), ctx);
    expect(first.databaseServer).toEqual(A);
    expect(first.agents.map((a) => [a.server?.name, a.placed])).toEqual([
      ["main", "database"],
      ["main", "database"],
    ]);
    const named = parseStackConfig(
      raw({
        servers: [A, B],
        databaseServer: "edge",
        agents: [agent("bod"), agent("scribe", { server: "edge" })],
      }),
      ctx,
    );
    expect(named.databaseServer).toEqual(B);
    expect(named.agents.map((a) => [a.server?.name, a.placed])).toEqual([
      ["edge", "database"],
      ["edge", "pinned"],
    ]);
  });
});

describe("placement never moves an agent that did not ask for it", () => {
  const servers = [A, B, C];
  const placed = (agentNames: string[], list = servers) =>
    new Map(agentNames.map((n) => [n, rendezvousServer(n, list).uuid]));

  it("adding or removing agents leaves every other agent where it was", () => {
    const before = placed(names(100));
    const added = placed([...names(100), ...names(40, "newcomer")]);
    const removed = placed(names(100).filter((_, i) => i % 3 !== 0));
    for (const [name, uuid] of removed) expect(uuid).toBe(before.get(name));
    for (const [name, uuid] of before) expect(added.get(name)).toBe(uuid);
  });

  it("reordering or renaming the list moves nothing; a new server takes agents only onto itself", () => {
    const before = placed(names(100));
    const reordered = placed(names(100), [C, { ...A, name: "renamed" }, B]);
    for (const [name, uuid] of before) expect(reordered.get(name)).toBe(uuid);
    const D = { name: "fourth", uuid: "eeeeeeeeeeeeeeeeeeeeeeee" };
    const grown = placed(names(100), [...servers, D]);
    const moved = [...before].filter(([name, uuid]) => grown.get(name) !== uuid);
    expect(moved.length).toBeGreaterThan(0);
    for (const [name] of moved) expect(grown.get(name)).toBe(D.uuid);
    // Removing a server moves only its own agents.
    const shrunk = placed(names(100), [A, B]);
    for (const [name, uuid] of before) if (uuid !== C.uuid) expect(shrunk.get(name)).toBe(uuid);
  });

  it("spreads 100 agents over 4 servers within a hash's evenness", () => {
    const four = [...servers, { name: "fourth", uuid: "eeeeeeeeeeeeeeeeeeeeeeee" }];
    const counts = new Map<string, number>();
    for (const uuid of placed(names(100), four).values()) counts.set(uuid, (counts.get(uuid) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(10);
  });
});

describe("server problems, reported at preview with the key at fault", () => {
  it("serverUuid or destinationUuid together with the list", () => {
    const message = problems({
      ...slim,
      serverUuid: A.uuid,
      destinationUuid: C.destinationUuid,
      servers: [A],
      agents: [agent("bod")],
    });
    expect(message).toContain("(2 problems)");
    expect(message).toMatch(
      /eliza-coolify:serverUuid: is the one-server form and cannot be used with eliza-coolify:servers — .*\{name: main, uuid: a{24}\}/,
    );
    expect(message).toMatch(/eliza-coolify:destinationUuid: cannot be used with eliza-coolify:servers/);
  });

  it("duplicate names and uuids, bad entries, unknown keys", () => {
    const message = problems({
      ...slim,
      servers: [
        A,
        { ...B, name: "main" },
        { ...B, name: "other", uuid: A.uuid },
        { name: "x y", uuid: "-", colour: 1 },
      ],
      agents: [agent("bod")],
    });
    expect(message).toMatch(/eliza-coolify:servers\[1\]\.name: "main" is already used by servers\[0\]/);
    expect(message).toMatch(
      /eliza-coolify:servers\[2\]\.uuid: a{24} is already listed as servers\[0\] \(main\)/,
    );
    expect(message).toMatch(/eliza-coolify:servers\[3\]\.name: must be 1-63 letters/);
    expect(message).toMatch(/eliza-coolify:servers\[3\]\.uuid: must be a Coolify uuid/);
    expect(message).toMatch(/eliza-coolify:servers\[3\]\.colour: unknown key/);
  });

  it("an empty list, or not a list", () => {
    expect(problems({ ...slim, servers: [], agents: [agent("bod")] })).toMatch(
      /eliza-coolify:servers: is empty/,
    );
    expect(problems({ ...slim, servers: { main: A.uuid }, agents: [agent("bod")] })).toMatch(
      /eliza-coolify:servers: expected a list of \{name, uuid\} objects/,
    );
  });

  it("unknown server names, with the nearest as a hint", () => {
    const message = problems({
      ...slim,
      servers: [A, B],
      agents: [agent("bod", { server: "edge2" }), agent("scribe", { server: "egde", moveFrom: "nowhere" })],
    });
    expect(message).toMatch(
      /eliza-coolify:agents\[0\]\.server: no server named "edge2" in eliza-coolify:servers/,
    );
    expect(message).toMatch(
      /eliza-coolify:agents\[1\]\.server: no server named "egde" .*did you mean "edge"\? \(listed: main, edge\)/,
    );
    expect(message).toMatch(/eliza-coolify:agents\[1\]\.moveFrom: no server named "nowhere"/);
  });

  it("server, moveFrom and databaseServer without a list", () => {
    const message = problems({
      databaseServer: "main",
      agents: [agent("bod", { server: "main", moveFrom: "edge" })],
    });
    expect(message).toMatch(
      /eliza-coolify:databaseServer: names a server of eliza-coolify:servers, which is not set/,
    );
    expect(message).toMatch(/eliza-coolify:agents\[0\]\.server: names a server of eliza-coolify:servers/);
    expect(message).toMatch(/eliza-coolify:agents\[0\]\.moveFrom: names a server of eliza-coolify:servers/);
  });

  it("databaseServer unknown, or given in slim mode", () => {
    expect(problems({ servers: [A, B], databaseServer: "db", agents: [agent("bod")] })).toMatch(
      /eliza-coolify:databaseServer: no server named "db"/,
    );
    expect(problems({ ...slim, servers: [A, B], databaseServer: "main", agents: [agent("bod")] })).toMatch(
      /eliza-coolify:databaseServer: is only used when databaseMode is full/,
    );
  });

  it("full mode: an agent pinned away from the database's server cannot reach it", () => {
    const message = problems({ servers: [A, B], agents: [agent("bod", { server: "edge" })] });
    expect(message).toMatch(
      /eliza-coolify:agents\[0\]\.server: is "edge", but the full-mode database is on "main": .*databaseMode slim/,
    );
  });
});
