// Small helpers for the simulator's own tests (plain fetch, no client code from providers/).
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { startSimulator } from "./index";
import type { Simulator, SimulatorOptions } from "./types";

/**
 * The simulator of one test file: started before its tests with `options`, closed after them,
 * and before each test reset with its clock stopped; then `each` runs (e.g. to make a project).
 * The object returned is filled in when the simulator has started.
 */
export function useSimulator(
  options: SimulatorOptions = {},
  each?: (sim: Simulator) => Promise<void>,
): Simulator {
  const sim = {} as Simulator;
  beforeAll(async () => {
    Object.assign(sim, await startSimulator(options));
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    sim.control.reset();
    sim.control.setClockSpeed(0);
    await each?.(sim);
  });
  // Every answer of every simulator test must be one Coolify's OpenAPI document allows.
  afterEach(() => {
    expect(sim.control.responseViolations()).toEqual([]);
  });
  return sim;
}

export interface ApiResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected loosely
  body: any;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  token?: string | null;
  raw?: string; // send this exact body
  contentType?: string | null;
}

export async function call(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
  o: CallOptions = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = o.token === undefined ? sim.rootToken : o.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (o.raw !== undefined) payload = o.raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && o.contentType !== null)
    headers["Content-Type"] = o.contentType ?? "application/json";
  const url = path.startsWith("/api/") || path.startsWith("/_sim") ? sim.url + path : sim.apiUrl + path;
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const SERVER_UUID = "sim0server0000000000000a";

export async function makeProject(sim: Simulator, name = "demo project"): Promise<string> {
  const r = await call(sim, "POST", "/projects", { name });
  if (r.status !== 201) throw new Error(`project create: ${r.status} ${r.text}`);
  return r.body.uuid;
}

export async function makeApp(
  sim: Simulator,
  projectUuid: string,
  extra: Record<string, unknown> = {},
): Promise<{ uuid: string; domains: string | null }> {
  const r = await call(sim, "POST", "/applications/dockerimage", {
    project_uuid: projectUuid,
    server_uuid: SERVER_UUID,
    environment_name: "production",
    docker_registry_image_name: "ghcr.io/elizaos/eliza:v1.7.2",
    ports_exposes: "3000",
    ...extra,
  });
  if (r.status !== 201) throw new Error(`app create: ${r.status} ${r.text}`);
  return r.body;
}

export async function makeDb(
  sim: Simulator,
  projectUuid: string,
  extra: Record<string, unknown> = {},
): Promise<{ uuid: string; internal_db_url: string; external_db_url?: string }> {
  const r = await call(sim, "POST", "/databases/postgresql", {
    project_uuid: projectUuid,
    server_uuid: SERVER_UUID,
    environment_name: "production",
    image: "pgvector/pgvector:0.8.0-pg17",
    ...extra,
  });
  if (r.status !== 201) throw new Error(`db create: ${r.status} ${r.text}`);
  return r.body;
}
