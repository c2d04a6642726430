// Request context, replies and the shared error bodies of the simulator (notes section 2.6).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Core } from "./core";
import type { Token } from "./state";
import type { Ability, RequestLogEntry } from "./types";

export interface Ctx {
  core: Core;
  token: Token;
  teamId: number;
  sensitive: boolean;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body after empty-string-to-null conversion ({} when absent or unparsable). */
  body: Record<string, unknown>;
  /** Parsed JSON body as sent (before conversion); undefined when unparsable. */
  rawJson: unknown;
  raw: string;
  contentType: string;
  method: string;
  template: string;
  /** OpenAPI request-schema errors (Laravel messages), or null (valid, or validation off). */
  schemaErrors: Record<string, string[]> | null;
}

export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  template: string; // OpenAPI path template under /api/v1
  ability: Ability | null; // null: no ability check
  /** A Promise only where Coolify itself waits on I/O in the request (S3 validate). */
  handler: (ctx: Ctx) => Reply | Promise<Reply>;
  /** notes 2.1: create/update endpoints run the JSON body check (400) first. */
  bodyCheck?: boolean;
  /** /enable and /disable bypass the API-enabled gate (notes 2.4). */
  noApiGate?: boolean;
  /** validate the body against the OpenAPI request schema (default: true when bodyCheck). */
  validate?: boolean;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  json: body,
  headers,
});
export const message = (status: number, text: string): Reply => ({ status, json: { message: text } });

/** 422 shape (a): {"message":"Validation failed.","errors":{"field":["msg"]}} */
export const validationFailed = (errors: Record<string, string[]>): Reply =>
  json(422, { message: "Validation failed.", errors });
/** 422 shape (b): errors values are plain strings. */
export const validationFailedStrings = (errors: Record<string, string>): Reply =>
  json(422, { message: "Validation failed.", errors });
/** 422 shape (c): errors is a bare array. */
export const validationFailedList = (errors: string[]): Reply =>
  json(422, { message: "Validation failed.", errors });

export const NOT_FOUND_CATCH_ALL = { message: "Not found.", docs: "https://coolify.io/docs" };
export const SERVER_ERROR: Reply = json(500, { message: "Server Error" });

/** 405 on GET for POST-only action routes (notes 2.6, P15). */
export const postOnly = (): Reply =>
  json(405, { message: "This endpoint has changed to a POST request." }, { Allow: "POST" });

/**
 * Route handlers on one stored item named by the path's {uuid}: `find` looks it up, a miss answers
 * 404 with `notFound`, otherwise `handle` gets the item.
 */
export const onItem =
  <T>(find: (ctx: Ctx, uuid: string | undefined) => T | undefined, notFound: string) =>
  (handle: (ctx: Ctx, item: T) => Reply) =>
  (ctx: Ctx): Reply => {
    const item = find(ctx, ctx.params.uuid);
    return item ? handle(ctx, item) : message(404, notFound);
  };

/** Unknown-field check: 422 "This field is not allowed." (notes 2.1). Returns null if all allowed. */
export function unknownFields(body: Record<string, unknown>, allowed: Set<string>): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const k of Object.keys(body)) if (!allowed.has(k)) errors[k] = ["This field is not allowed."];
  return errors;
}

export function mergeErrors(
  ...sets: Array<Record<string, string[]> | null | undefined>
): Record<string, string[]> | null {
  const out: Record<string, string[]> = {};
  for (const s of sets) {
    if (!s) continue;
    for (const [k, v] of Object.entries(s)) out[k] = [...(out[k] ?? []), ...v];
  }
  return Object.keys(out).length ? out : null;
}

export function has(body: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(body, key);
}

/** Laravel boolean-ish input to boolean (true, 1, "1", "true" -> true). */
export function bool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === "boolean") return v;
  if (v === 1 || v === "1" || v === "true") return true;
  if (v === 0 || v === "0" || v === "false") return false;
  return dflt;
}

/** Query-string boolean, Laravel style: "false", "0", "" are false. */
export function queryBool(q: URLSearchParams, key: string, dflt: boolean): boolean {
  const v = q.get(key);
  if (v === null) return dflt;
  return !(v === "false" || v === "0" || v === "");
}

/** The whole request body as UTF-8 text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Content-Type of JSON replies, and of text replies that name none (none set when `text` is absent). */
export interface ContentTypes {
  json: string;
  text?: string;
}

/** Writes a reply: its text as given, otherwise its JSON, with Content-Type and Content-Length. */
export function send(res: ServerResponse, reply: Reply, types: ContentTypes): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: string;
  if (reply.text !== undefined) {
    payload = reply.text;
    if (types.text !== undefined) headers["Content-Type"] ??= types.text;
  } else {
    payload = JSON.stringify(reply.json ?? null);
    headers["Content-Type"] = types.json;
  }
  headers["Content-Length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * The request-log entry of a request that started at `started`, and `finish(status)`, which stamps
 * its status and duration and hands it to `log`.
 */
export function logEntry(
  started: number,
  method: string,
  url: URL,
  extra: Pick<RequestLogEntry, "plane" | "host" | "server">,
  log: (entry: RequestLogEntry) => void,
): { entry: RequestLogEntry; finish: (status: number) => void } {
  const entry: RequestLogEntry = {
    method,
    path: url.pathname + url.search,
    status: 0,
    at: started,
    durationMs: 0,
    ...extra,
  };
  const finish = (status: number) => {
    entry.status = status;
    entry.durationMs = Date.now() - started;
    log(entry);
  };
  return { entry, finish };
}
