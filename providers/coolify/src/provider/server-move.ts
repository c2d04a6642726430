/**
 * Moving an application to another server (or another destination on its server).
 *
 * What Coolify offers, read in its source (4.3.11) and release notes up to 4.7.7:
 * - `POST /applications/{uuid}/migrate` {destination_uuid, migrate_volumes} is the real move,
 *   but `migrateResourceToDestination()` starts with `if (! isDev()) abort(404)`: on a production
 *   Coolify it answers 404 (docs/dev-only-features.md: "under development and is not available in
 *   production"). In development it stops the application first (downtime), copies its volumes,
 *   and leaves the redeploy to the caller. No release up to 4.7.7 lifts the gate.
 * - `POST /applications/{uuid}/destinations` attaches an *additional* server: the same
 *   application deployed on both. The switch of the primary server ("promote") exists only in the
 *   UI (Livewire), and detaching through the API does not stop the container it leaves behind.
 * - `POST /applications/{uuid}/move` moves between environments only, not servers.
 *
 * So the safe real mechanism is create-before-delete, done on purpose: a new application on the
 * target server with the same settings and environment (the values come from this program, the
 * locked secrets included), deployed and smoke-tested, and only then the old one deleted. The
 * agent keeps answering on the old server until the new one is up. What it carries over: every
 * variable (the same SECRET_SALT and API token) and its memory, which lives in the database, not
 * in the container. What it does not: the files in the old application's volumes on the old
 * server (each agent's persistent storage of its data directory: uploads, knowledge, generated
 * media; Coolify has no API to copy a volume between servers) and in-memory chat sessions (a redeploy loses those
 * too). Because it is a new application, it is never done silently: the stack names the server
 * the agent moves away from (`moveFrom`), and without that the preview fails saying what a move
 * would do.
 */
import { hasUnknowns } from "./inputs";
import type { Props } from "./types";

export interface Placement {
  serverUuid: string;
  serverName?: string;
  destinationUuid?: string;
}

export interface ServerMove {
  from: Placement;
  to: Placement;
  /** The stack acknowledged this move (moveFromServerUuid names the server it leaves). */
  confirmed: boolean;
}

function placementOf(p: Props): Placement {
  const out: Placement = { serverUuid: String(p.serverUuid) };
  if (typeof p.serverName === "string") out.serverName = p.serverName;
  if (typeof p.destinationUuid === "string") out.destinationUuid = p.destinationUuid;
  return out;
}

/**
 * The move from the application's old inputs to its new ones, if any. A destination that was
 * not given before (the server's only one) and is given now, on the same server, is no move.
 */
export function plannedMove(olds: Props, news: Props): ServerMove | undefined {
  if (typeof olds.serverUuid !== "string" || typeof news.serverUuid !== "string") return undefined;
  if (hasUnknowns(news.serverUuid) || hasUnknowns(news.destinationUuid)) return undefined;
  const sameServer = olds.serverUuid === news.serverUuid;
  const destinationChanged =
    typeof olds.destinationUuid === "string" &&
    typeof news.destinationUuid === "string" &&
    olds.destinationUuid !== news.destinationUuid;
  if (sameServer && !destinationChanged) return undefined;
  return {
    from: placementOf(olds),
    to: placementOf(news),
    confirmed: news.moveFromServerUuid === olds.serverUuid,
  };
}

function describe(p: Placement): string {
  const server = p.serverName ? `server "${p.serverName}" (${p.serverUuid})` : `server ${p.serverUuid}`;
  return p.destinationUuid ? `${server}, destination ${p.destinationUuid}` : server;
}

const short = (p: Placement) => (p.serverName ? `"${p.serverName}"` : p.serverUuid);

/** Why a move is refused until acknowledged, and how to acknowledge it. */
export function unconfirmedMove(name: string, move: ServerMove): string {
  return (
    `application "${name}" would move from ${describe(move.from)} to ${describe(move.to)}. ` +
    "Coolify cannot move an application between servers (its migrate endpoint is development-only and " +
    `answers 404 on a production Coolify), so a move creates a new application on ${short(move.to)}, ` +
    `deploys and smoke-tests it, and then deletes the one on ${short(move.from)}. The agent keeps its ` +
    "variables and secrets and its memory in the database; the files in its volumes on the old server (its " +
    "persistent storage: uploads, knowledge, generated media under ELIZA_DATA_DIR) are deleted with the old " +
    "application, and the new one starts with an empty storage: copy what you need first (the docker volume " +
    `<application uuid>-eliza-data on the old server). To do this, acknowledge it on the agent: moveFrom: ${move.from.serverName ?? "<name of that server in eliza-coolify:servers>"} ` +
    `(the Application input moveFromServerUuid ${move.from.serverUuid}); or put the agent back on ${short(move.from)}.`
  );
}

/** What the preview and `up` say about an acknowledged move. */
export function announceMove(name: string, move: ServerMove, domains: readonly string[]): string {
  const dns =
    domains.length > 0
      ? ` Point ${domains.map((d) => new URL(d).hostname).join(", ")} at ${short(move.to)} now: its proxy ` +
        "can get the certificate only once DNS leads there; the old application answers whoever still resolves " +
        "the old address until it is deleted."
      : "";
  return (
    `moving application "${name}" from ${describe(move.from)} to ${describe(move.to)}: a new application is ` +
    `created on ${short(move.to)}, deployed and smoke-tested, then the one on ${short(move.from)} is deleted ` +
    `(its variables and the database's memory carry over; its storage volume on the old server does not: copy it first).${dns}`
  );
}
