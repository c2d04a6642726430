// Real things behind simulator objects, for tests that need more than an API: a real PostgreSQL
// behind a database (its backups are real pg_dump archives, its public port really forwards to
// it) and a real process behind an application (stop and start act on it, the proxy forwards its
// domains to it). In-process controls only (backDatabase, backApplication): they take callbacks.
import { spawn } from "node:child_process";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Core } from "./core";
import type { Reply } from "./http";
import type { Application, Database } from "./state";
import type { ApplicationBacking, DatabaseBacking } from "./types";

interface BackedApp {
  backing: ApplicationBacking;
  url?: string;
}

export class Backings {
  private databases = new Map<string, DatabaseBacking>();
  private apps = new Map<string, BackedApp>();
  private publicPorts = new Map<string, { port: number; server: Server }>();

  constructor(private core: Core) {}

  async reset(): Promise<void> {
    this.databases.clear();
    this.apps.clear();
    await Promise.all([...this.publicPorts.keys()].map((uuid) => this.closePublic(uuid)));
  }

  async backDatabase(uuid: string, backing: DatabaseBacking | null): Promise<void> {
    if (backing) this.databases.set(uuid, backing);
    else this.databases.delete(uuid);
    const db = this.core.store.databases.find((d) => d.uuid === uuid);
    if (db) await this.syncPublicPort(db);
  }

  backApplication(uuid: string, backing: ApplicationBacking | null): void {
    if (backing) this.apps.set(uuid, { backing });
    else this.apps.delete(uuid);
  }

  /**
   * A deployment started the container of a backed app: stop the old process, start a new one
   * with the app's production env, where `<db uuid>:5432` of a backed database names the real
   * one (docker's DNS on the destination network). Resolves true once it serves.
   */
  containerStarting(app: Application): Promise<boolean> | undefined {
    const backed = this.apps.get(app.uuid);
    if (!backed) return undefined;
    return (async () => {
      if (backed.url) {
        backed.url = undefined;
        await backed.backing.stop();
      }
      const { url } = await backed.backing.start(this.envOf(app));
      backed.url = url;
      return true;
    })().catch((e) => {
      console.error(
        `coolify simulator: the process behind ${app.uuid} did not start: ${(e as Error).message}`,
      );
      return false;
    });
  }

  /** The app was stopped: stop its process. */
  containerStopping(app: Application): Promise<void> | undefined {
    const backed = this.apps.get(app.uuid);
    if (!backed) return undefined;
    backed.url = undefined;
    return backed.backing.stop();
  }

  /** Where the proxy forwards a backed app's requests, while its process serves. */
  forwardUrl(appUuid: string): string | undefined {
    return this.apps.get(appUuid)?.url;
  }

  private envOf(app: Application): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of this.core.store.envs) {
      if (e.resourceable_type !== "application" || e.resourceable_id !== app.id || e.is_preview) continue;
      let value = e.value ?? "";
      for (const [uuid, b] of this.databases)
        value = value.split(`@${uuid}:5432`).join(`@${b.host}:${b.port}`);
      env[e.key] = value;
    }
    return env;
  }

  /** pg_dump --format=custom --no-acl --no-owner of a backed database, or undefined. */
  dump(db: Database, name: string): Promise<Buffer> | undefined {
    const b = this.databases.get(db.uuid);
    if (!b) return undefined;
    return new Promise((resolve, reject) => {
      const child = spawn(
        join(b.pgBinDir, "pg_dump"),
        [
          "--format=custom",
          "--no-acl",
          "--no-owner",
          "--host",
          b.host,
          "--port",
          String(b.port),
          "--username",
          db.postgres_user,
          name,
        ],
        {
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            PGPASSWORD: db.postgres_password,
            PGCONNECT_TIMEOUT: "10",
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const out: Buffer[] = [];
      let err = "";
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.once("error", reject);
      child.once("exit", (code) =>
        code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(err.trim() || `pg_dump exited ${code}`)),
      );
    });
  }

  /**
   * Coolify's database proxy: while a backed database is public, its public port on this machine
   * (127.0.0.1) forwards to the real PostgreSQL. Called when is_public or public_port changes.
   */
  async syncPublicPort(db: Database): Promise<void> {
    const b = this.databases.get(db.uuid);
    const want = b && db.is_public && db.public_port ? Number(db.public_port) : undefined;
    const open = this.publicPorts.get(db.uuid);
    if (open && open.port === want) return;
    if (open) await this.closePublic(db.uuid);
    if (!b || want === undefined) return;
    const server = createServer((client) => {
      const upstream = createConnection({ host: b.host, port: b.port });
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end);
      upstream.on("error", end);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(want, "127.0.0.1", () => resolve());
    });
    this.publicPorts.set(db.uuid, { port: want, server });
  }

  private async closePublic(uuid: string): Promise<void> {
    const open = this.publicPorts.get(uuid);
    if (!open) return;
    this.publicPorts.delete(uuid);
    await new Promise<void>((resolve) => open.server.close(() => resolve()));
  }
}

/** Forwards one request of the proxy to a backed app's process. */
export async function forward(
  base: string,
  method: string,
  url: URL,
  headers: Record<string, string | string[] | undefined>,
  raw: string,
): Promise<Reply> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || ["host", "connection", "content-length", "transfer-encoding"].includes(k))
      continue;
    h[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  try {
    const res = await fetch(`${base}${url.pathname}${url.search}`, {
      method,
      headers: h,
      body: method === "GET" || method === "HEAD" ? undefined : raw,
    });
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "text/plain";
    return { status: res.status, text, headers: { "Content-Type": type } };
  } catch {
    return { status: 502, text: "Bad Gateway", headers: { "Content-Type": "text/plain" } };
  }
}
