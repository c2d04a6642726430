// A Postgres server with the extensions ElizaOS needs (vector, fuzzystrmatch, pgcrypto), for the
// local POSTGRES_URL path without Docker or a system Postgres: PGlite (Postgres 17 in wasm) behind
// @electric-sql/pglite-socket, which speaks the Postgres wire protocol to the `pg` driver that
// @elizaos/plugin-sql uses when POSTGRES_URL is set. Debian has no pgvector package, and this
// needs nothing but npm packages.
//
//   node scripts/pglite-postgres.mjs [--port 5433] [--db ./.eliza/pg-socket-db]
// prints POSTGRES_URL=postgresql://postgres:postgres@127.0.0.1:<port>/postgres
//
// Not a production database: one process, one Postgres session shared by all connections, so
// statements run one connection at a time (see serializeSessions).

import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { fuzzystrmatch } from "@electric-sql/pglite/contrib/fuzzystrmatch";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import { vector } from "@electric-sql/pglite/vector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * @param {{ port?: number, host?: string, dataDir?: string, maxConnections?: number }} [options]
 * @returns {Promise<{ url: string, port: number, db: PGlite, close(): Promise<void> }>}
 */
export async function startPglitePostgres(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const db = await PGlite.create(options.dataDir ?? "memory://", {
    extensions: { vector, fuzzystrmatch, pgcrypto },
  });
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    // plugin-sql opens a pool (max 20); the socket server queues their queries onto one PGlite.
    maxConnections: options.maxConnections ?? 32,
  });
  serializeSessions(server);
  await server.start();
  const port = await boundPort(server, options.port ?? 0);
  return {
    url: `postgresql://postgres:postgres@${host}:${port}/postgres`,
    port,
    db,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * pglite-socket 0.0.22 queues each client message onto the single PGlite session but only keeps a
 * connection's turn while an explicit transaction is open. The `pg` driver's extended protocol
 * (Parse/Bind/Execute, then Sync) spans several messages, so with a pool of connections (plugin-sql
 * opens up to 20) another connection's statements got interleaved into it: queries failed or hung
 * and the agent never finished starting. This keeps a connection's turn until the server reports
 * ReadyForQuery with status idle ('I'), i.e. until its statement or transaction is complete.
 */
function serializeSessions(server) {
  const queue = /** @type {any} */ (server).queryQueue;
  if (!queue || typeof queue.processQueue !== "function") {
    throw new Error("pglite-socket internals changed: queryQueue.processQueue not found");
  }
  /** @type {number | null} */
  let owner = null;
  queue.processQueue = async function processQueue() {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const index = owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === owner);
        if (index === -1) break; // the owner's next message restarts the queue
        const [item] = this.queue.splice(index, 1);
        try {
          const result = await this.db.runExclusive(() => this.db.execProtocolRaw(item.message));
          owner = holdsSession(result) ? item.handlerId : null;
          this.lastHandlerId = item.handlerId;
          item.resolve(result);
        } catch (error) {
          item.reject(error);
        }
      }
    } finally {
      this.processing = false;
    }
  };
  const clearTransaction = queue.clearTransactionIfNeeded.bind(queue);
  queue.clearTransactionIfNeeded = async (handlerId) => {
    if (owner === handlerId) {
      owner = null;
      if (queue.db.isInTransaction()) await queue.db.exec("ROLLBACK");
      await queue.processQueue();
      return;
    }
    await clearTransaction(handlerId);
  };
}

/** True unless the response ends with ReadyForQuery ('Z', length 5) reporting an idle session. */
function holdsSession(response) {
  const at = response.length - 6;
  if (at < 0 || response[at] !== 0x5a) return true;
  return response[response.length - 1] !== 0x49;
}

/** The socket server does not expose its port; read it from its listening net.Server. */
async function boundPort(server, requested) {
  if (requested) return requested;
  const inner = /** @type {{ server?: import("node:net").Server }} */ (server).server;
  const address = inner?.address();
  if (address && typeof address === "object") return address.port;
  throw new Error("pglite-socket did not report its port; pass an explicit port");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "5433" },
      host: { type: "string", default: "127.0.0.1" },
      db: { type: "string", default: "memory://" },
    },
  });
  const pg = await startPglitePostgres({ port: Number(values.port), host: values.host, dataDir: values.db });
  console.log(`POSTGRES_URL=${pg.url}`);
  const stop = () => pg.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
