/**
 * Test doubles for the client's own unit tests: a tiny scripted HTTP server and a fake clock.
 * Not exported from the package index.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "./clock";
import { CoolifyError } from "./errors";

export type ScriptedReply =
  | { status: number; body?: unknown; headers?: Record<string, string>; text?: string }
  | "reset"
  | "hang";

export interface LoggedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ScriptedServer {
  url: string;
  log: LoggedRequest[];
  close(): Promise<void>;
}

/** Each request gets the next reply from `handler`; "reset" destroys the socket, "hang" never answers. */
export async function startScriptedServer(
  handler: (req: LoggedRequest, index: number) => ScriptedReply,
): Promise<ScriptedServer> {
  const log: LoggedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const entry: LoggedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
      };
      log.push(entry);
      const reply = handler(entry, log.length - 1);
      if (reply === "reset") {
        req.socket.destroy();
        return;
      }
      if (reply === "hang") return;
      const text = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
      res.writeHead(reply.status, {
        "content-type": reply.text !== undefined ? "text/html; charset=UTF-8" : "application/json",
        ...reply.headers,
      });
      res.end(text);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sleeping advances virtual time at once and records the requested duration. */
export class FakeClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.time += Math.max(0, ms);
  }
}

let counter = 0;
/** A token unique to each test, so the process-wide rate limiter registry never couples tests. */
export function uniqueToken(): string {
  counter += 1;
  return `${counter}|test-token-${process.pid}-${counter}-SECRETVALUE`;
}

/** The CoolifyError a call fails with; anything else (or success) fails the test. */
export async function failure(p: Promise<unknown>): Promise<CoolifyError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoolifyError) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}
