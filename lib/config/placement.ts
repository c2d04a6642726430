/**
 * Which server an agent without `server` goes on. Rendezvous (highest-random-weight) hashing:
 * each listed server scores sha256(server uuid, agent name) and the highest score wins.
 *
 * Why this and not round-robin by position in the list: an agent's server must not change when
 * other agents come or go, because a change of server is a move (a new application, the old one
 * deleted). Round-robin by order moves every agent after an inserted or removed one; a hash of
 * the agent's own name depends on nothing else, so adding or removing agents never moves the
 * others. Rendezvous hashing also keeps moves to the minimum when the server list changes:
 * adding a server takes only the agents that now score highest on it (about 1/(n+1) of them),
 * removing one moves only its own agents, and reordering the list or renaming an entry moves
 * nothing (the score uses the server's uuid). The price: the spread is as even as a hash is,
 * not exact (100 agents on 4 servers give 25 each on average, not always exactly); pin an agent
 * with `server:` where that matters.
 */
import { createHash } from "node:crypto";

/** The server of the highest score for this agent; ties (not seen in practice) go to the lower uuid. */
export function rendezvousServer<T extends { uuid: string }>(agentName: string, servers: readonly T[]): T {
  let best: T | undefined;
  let bestScore = -1n;
  for (const server of servers) {
    const score = placementScore(server.uuid, agentName);
    if (score > bestScore || (score === bestScore && best && server.uuid < best.uuid)) {
      best = server;
      bestScore = score;
    }
  }
  if (!best) throw new Error("rendezvousServer needs at least one server");
  return best;
}

function placementScore(serverUuid: string, agentName: string): bigint {
  const digest = createHash("sha256").update(`${serverUuid}\n${agentName}`).digest();
  return digest.readBigUInt64BE(0);
}
