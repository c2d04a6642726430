/**
 * Several Coolify servers: `servers` (the list, each `{name, uuid, destinationUuid?, connectTo?}`),
 * `databaseServer` (which of them holds the full-mode database; default the first), and the
 * agents' `server` (pin one) and `moveFrom` (acknowledge a move). The one-server form
 * (`serverUuid`, `destinationUuid`, project.ts) stays; the two forms do not mix.
 *
 * Placement: a pinned agent goes where it says; the others are spread by rendezvous hashing
 * (placement.ts), except in full database mode, where they go on the database's server: the
 * database's host name (its uuid) resolves only on its own server's Docker network, so an agent
 * on another server could not reach it.
 */
import { z } from "zod";
import { describeValue, nearest } from "../../characters/schema";
import { ns } from "./keys";
import { rendezvousServer } from "./placement";
import type { Problems } from "./problems";
import type { ServerConfig } from "./project";
import type { ConfigValues } from "./values";
import { expected } from "./zod-fields";

export interface ServerEntry {
  /** The name agents and databaseServer use for it in the config. */
  name: string;
  /** The Coolify server's uuid. */
  uuid: string;
  /** The Docker network (destination) to use; needed when the server has several. */
  destinationUuid?: string;
  /** host:port of this server's proxy for the smoke test and TLS check (instead of DNS). */
  connectTo?: string;
}

export interface ServersConfig {
  /** The listed servers; empty in the one-server form. */
  list: ServerEntry[];
  /** Where the full-mode database goes: databaseServer, or the first listed. */
  database?: ServerEntry;
}

/** Where an agent goes, and the move it acknowledges. */
export interface AgentPlacement {
  server?: ServerEntry;
  /** How the agent got its server: named in its config, or chosen by the program. */
  placed?: "pinned" | "spread" | "database";
  moveFrom?: ServerEntry;
}

const UUID = /^[A-Za-z0-9]{3,64}$/;
const UUID_HINT = "a Coolify uuid such as vgsco4o8k0w4ws8s0cgwk4go (GET /api/v1/servers lists them)";
const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

const serverSchema = z.strictObject(
  {
    name: z
      .string({ error: expected("a name for this server, e.g. main") })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
        error: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. main)',
      }),
    uuid: z.string({ error: expected(UUID_HINT) }).regex(UUID, { error: `must be ${UUID_HINT}` }),
    destinationUuid: z
      .string({ error: expected("the uuid of a destination (Docker network) on this server") })
      .regex(UUID, { error: "must be a Coolify uuid (GET /api/v1/servers/<uuid>/destinations lists them)" })
      .optional(),
    connectTo: z
      .string({ error: expected("host:port of this server's proxy") })
      .regex(HOST_PORT, { error: "must be host:port of this server's proxy, e.g. 203.0.113.8:443" })
      .optional(),
  },
  { error: expected("a server object {name, uuid, destinationUuid?, connectTo?}") },
);
const SERVER_KEYS = Object.keys(serverSchema.shape);

/** The list as given: YAML in the stack file, or a JSON string (how pulumi.Config returns it). */
function serverEntries(values: ConfigValues, problems: Problems): unknown[] | undefined {
  let list = values.raw.servers;
  if (list === undefined || list === null || list === "") return undefined;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      problems.add(ns("servers"), "", "is not valid JSON/YAML — give a list of {name, uuid} objects");
      return [];
    }
  }
  if (!Array.isArray(list)) {
    problems.add(ns("servers"), "", `expected a list of {name, uuid} objects (got ${describeValue(list)})`);
    return [];
  }
  if (list.length === 0) {
    problems.add(
      ns("servers"),
      "",
      `is empty — list at least one server, or remove it (pulumi config rm ${ns("servers")}) to use the only server Coolify has`,
    );
  }
  return list;
}

export function parseServers(
  values: ConfigValues,
  problems: Problems,
  oneServer: ServerConfig,
  databaseMode: unknown,
): ServersConfig {
  const entries = serverEntries(values, problems);
  const databaseName = values.string("databaseServer");
  if (entries === undefined) {
    if (databaseName !== undefined) {
      problems.add(
        ns("databaseServer"),
        "",
        `names a server of ${ns("servers")}, which is not set — list the servers there, or remove it`,
      );
    }
    return { list: [] };
  }
  // The one-server keys and the list would say two things about the same placement.
  if (oneServer.uuid !== undefined) {
    problems.add(
      ns("serverUuid"),
      "",
      `is the one-server form and cannot be used with ${ns("servers")} — remove it (pulumi config rm ${ns("serverUuid")}) and list that server in ${ns("servers")} as {name: main, uuid: ${oneServer.uuid}}`,
    );
  }
  if (oneServer.destinationUuid !== undefined) {
    problems.add(
      ns("destinationUuid"),
      "",
      `cannot be used with ${ns("servers")} — give each server its own destinationUuid there, and remove this key`,
    );
  }

  const list: ServerEntry[] = [];
  const byName = new Map<string, number>();
  const byUuid = new Map<string, number>();
  entries.forEach((raw, index) => {
    const parsed = serverSchema.safeParse(raw);
    if (!parsed.success) {
      problems.addZod(ns("servers"), `[${index}]`, parsed.error, (path) =>
        path.length === 0 ? SERVER_KEYS : [],
      );
      return;
    }
    const s = parsed.data;
    const sameName = byName.get(s.name);
    if (sameName !== undefined) {
      problems.add(
        ns("servers"),
        `[${index}].name`,
        `"${s.name}" is already used by servers[${sameName}] — each server needs its own name`,
      );
      return;
    }
    const sameUuid = byUuid.get(s.uuid);
    if (sameUuid !== undefined) {
      problems.add(
        ns("servers"),
        `[${index}].uuid`,
        `${s.uuid} is already listed as servers[${sameUuid}] (${list[sameUuid]?.name}) — list each Coolify server once`,
      );
      return;
    }
    byName.set(s.name, index);
    byUuid.set(s.uuid, list.length);
    list.push(s);
  });

  let database = list[0];
  if (databaseName !== undefined) {
    if (databaseMode === "slim") {
      problems.add(
        ns("databaseServer"),
        "",
        `is only used when databaseMode is full — remove it (pulumi config rm ${ns("databaseServer")})`,
      );
    }
    database = findByName(list, databaseName);
    if (!database && list.length > 0)
      problems.add(ns("databaseServer"), "", unknownServer(databaseName, list));
  }
  return { list, database };
}

function findByName(list: readonly ServerEntry[], name: string): ServerEntry | undefined {
  return list.find((s) => s.name === name);
}

function unknownServer(name: string, list: readonly ServerEntry[]): string {
  const names = list.map((s) => s.name);
  const hint = nearest(name, names);
  return `no server named "${name}" in ${ns("servers")}${hint ? ` — did you mean "${hint}"?` : ""} (listed: ${names.join(", ")})`;
}

/**
 * An agent's server and acknowledged move, checked against the list. Problems are reported on
 * `agents[index]`; the result is complete only when there were none.
 */
export function placeAgent(
  agent: { name: string; server?: string; moveFrom?: string },
  index: number,
  servers: ServersConfig,
  databaseMode: unknown,
  problems: Problems,
): AgentPlacement {
  const at = `[${index}]`;
  if (servers.list.length === 0) {
    for (const key of ["server", "moveFrom"] as const) {
      if (agent[key] === undefined) continue;
      problems.add(
        ns("agents"),
        `${at}.${key}`,
        `names a server of ${ns("servers")}, which is not set — list the servers there first`,
      );
    }
    return {};
  }
  const placement: AgentPlacement = {};
  if (agent.moveFrom !== undefined) {
    placement.moveFrom = findByName(servers.list, agent.moveFrom);
    if (!placement.moveFrom)
      problems.add(ns("agents"), `${at}.moveFrom`, unknownServer(agent.moveFrom, servers.list));
  }
  if (agent.server !== undefined) {
    const server = findByName(servers.list, agent.server);
    if (!server) {
      problems.add(ns("agents"), `${at}.server`, unknownServer(agent.server, servers.list));
      return placement;
    }
    if (databaseMode === "full" && servers.database && server !== servers.database) {
      problems.add(
        ns("agents"),
        `${at}.server`,
        `is "${server.name}", but the full-mode database is on "${servers.database.name}": its host name resolves only on that server's Docker network, so an agent elsewhere cannot reach it — place the agent on "${servers.database.name}", or use ${ns("databaseMode")} slim with a databaseUrl every server reaches`,
      );
      return placement;
    }
    return { ...placement, server, placed: "pinned" };
  }
  if (databaseMode === "full" && servers.database)
    return { ...placement, server: servers.database, placed: "database" };
  return { ...placement, server: rendezvousServer(agent.name, servers.list), placed: "spread" };
}
