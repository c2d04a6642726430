// HTML error pages without Accept: application/json (notes 2.1) and the TLS domain server.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "./index";
import { call, makeApp, makeProject } from "./testkit";
import type { Simulator } from "./types";

/** A self-signed certificate made with openssl, which the README lists as needed (apt: openssl). */
function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "sim-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=agent.example.com",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      cert: readFileSync(path.join(dir, "cert.pem"), "utf8"),
      key: readFileSync(path.join(dir, "key.pem"), "utf8"),
    };
  } catch (e) {
    throw new Error(
      `openssl could not make a test certificate (${(e as Error).message}). Install it: apt-get install openssl`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = selfSigned();
let sim: Simulator;
let limited: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ tls, deploymentPhaseMs: 10 });
  limited = await startSimulator({ rateLimitPerMinute: 1 });
  sim.control.setClockSpeed(0);
});
afterAll(async () => {
  await Promise.all([sim.close(), limited.close()]);
});

describe("framework errors without Accept: application/json", () => {
  it("throttle 429 is an HTML page; controller errors stay JSON", async () => {
    await fetch(`${limited.apiUrl}/projects`, { headers: { Authorization: `Bearer ${limited.rootToken}` } });
    const r = await fetch(`${limited.apiUrl}/projects`, {
      headers: { Authorization: `Bearer ${limited.rootToken}` },
    });
    expect(r.status).toBe(429);
    expect(r.headers.get("content-type")).toContain("text/html");
    expect(r.headers.get("retry-after")).toBeTruthy();
    const j = await call(limited, "GET", "/projects");
    expect(j.body).toEqual({ message: "Too Many Attempts." });
    const u = await fetch(`${limited.apiUrl}/projects`);
    expect(await u.json()).toEqual({ message: "Unauthenticated." });
    limited.control.step(60_000);
  });
});

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/", servername: host, headers: { host }, rejectUnauthorized: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("TLS domains", () => {
  it("serves a running app's https fqdn with 200, others 404", async () => {
    sim.control.reset();
    sim.control.setClockSpeed(0);
    const p = await makeProject(sim);
    const app = await makeApp(sim, p, { domains: "https://agent.example.com" });
    const port = sim.tlsPort as number;
    expect(sim.tlsUrl).toBe(`https://127.0.0.1:${port}`);
    expect(await get(port, "agent.example.com")).toBe(404); // not running yet
    await call(sim, "POST", `/applications/${app.uuid}/start`);
    sim.control.step(100);
    expect(await get(port, "agent.example.com")).toBe(200);
    expect(await get(port, "other.example.com")).toBe(404);
  });
});
