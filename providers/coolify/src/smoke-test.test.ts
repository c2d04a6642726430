// Fast checks of the smoke test's decisions against a scripted fake server. The same failures are
// proven against the real ElizaOS 1.7.2 server in agent/test/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSmokeTest, SmokeTestError } from "./smoke-test";

type Route = (req: { method: string; path: string; body: unknown; headers: Headers }) => {
  status: number;
  body?: unknown;
};

const AGENT = { id: "5b1d0c2e-8f3a-4c6b-9e2d-7a4f1b3c5d60", name: "Server Bod", status: "active" };

function fakeServer(overrides: Record<string, Route> = {}): typeof fetch {
  const routes: Record<string, Route> = {
    "GET /healthz": () => ({ status: 200, body: { status: "ok" } }),
    "GET /health": () => ({ status: 200, body: { status: "OK" } }),
    "GET /api/agents": () => ({ status: 200, body: { success: true, data: { agents: [AGENT] } } }),
    "POST /api/messaging/sessions": () => ({ status: 201, body: { sessionId: "s-1", agentId: AGENT.id } }),
    "POST /api/messaging/sessions/s-1/messages": () => ({
      status: 201,
      body: { success: true, agentResponse: { text: "pong", actions: ["REPLY"] } },
    }),
    "DELETE /api/messaging/sessions/s-1": () => ({ status: 200, body: { success: true } }),
    ...overrides,
  };
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const key = `${method} ${url.pathname}`;
    const route = routes[key];
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const result = route
      ? route({ method, path: url.pathname + url.search, body, headers: new Headers(init?.headers) })
      : { status: 404, body: { error: "not found" } };
    return new Response(result.body === undefined ? null : JSON.stringify(result.body), {
      status: result.status,
    });
  }) as typeof fetch;
}

async function failure(promise: Promise<unknown>): Promise<SmokeTestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SmokeTestError);
    return error as SmokeTestError;
  }
  throw new Error("expected the smoke test to fail");
}

const base = { baseUrl: "http://agent.test/", timeoutMs: 2_500 };

describe("runSmokeTest", () => {
  it("returns the agent's reply and sends the token as X-API-KEY", async () => {
    let seenKey: string | null = null;
    let sentBody: unknown;
    const fetchImpl = fakeServer({
      "POST /api/messaging/sessions/s-1/messages": ({ headers, body }) => {
        seenKey = headers.get("x-api-key");
        sentBody = body;
        return { status: 201, body: { success: true, agentResponse: { text: "  pong  " } } };
      },
    });
    const result = await runSmokeTest({ ...base, authToken: "tok", agentName: "server bod", fetchImpl });
    expect(result).toMatchObject({ ok: true, agentId: AGENT.id, reply: "pong" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seenKey).toBe("tok");
    expect(sentBody).toMatchObject({ transport: "http", mode: "sync" });
  });

  it("finds the agent by id too", async () => {
    const result = await runSmokeTest({ ...base, agentName: AGENT.id, fetchImpl: fakeServer() });
    expect(result.agentId).toBe(AGENT.id);
  });

  it("reports a server that stays unready (503 on /health) with what /health says", async () => {
    const fetchImpl = fakeServer({
      "GET /health": () => ({
        status: 503,
        body: { status: "DEGRADED", dependencies: { agents: "no_agents" } },
      }),
    });
    const error = await failure(runSmokeTest({ ...base, fetchImpl }));
    expect(error.code).toBe("not_ready");
    expect(error.message).toContain("503 (status DEGRADED, agents no_agents)");
  });

  it("reports an unreachable server with the network error", async () => {
    const fetchImpl = (async () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }),
      });
    }) as typeof fetch;
    const error = await failure(runSmokeTest({ ...base, timeoutMs: 1_200, fetchImpl }));
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain("ENOTFOUND");
  });

  it("lists the agents that exist when the named one is missing", async () => {
    const error = await failure(runSmokeTest({ ...base, agentName: "Nobody", fetchImpl: fakeServer() }));
    expect(error.code).toBe("agent_missing");
    expect(error.message).toContain('"Server Bod" (5b1d0c2e-8f3a-4c6b-9e2d-7a4f1b3c5d60, active)');
  });

  it("refuses an inactive agent", async () => {
    const fetchImpl = fakeServer({
      "GET /api/agents": () => ({
        status: 200,
        body: { data: { agents: [{ ...AGENT, status: "inactive" }] } },
      }),
    });
    const error = await failure(runSmokeTest({ ...base, fetchImpl }));
    expect(error.code).toBe("agent_inactive");
  });

  it("explains a 401 from the server's X-API-KEY check", async () => {
    const fetchImpl = fakeServer({
      "GET /api/agents": () => ({
        status: 401,
        body: { error: "API key required", message: "Missing or invalid X-API-KEY header" },
      }),
    });
    const error = await failure(runSmokeTest({ ...base, authToken: "wrong", fetchImpl }));
    expect(error.code).toBe("unauthorized");
    expect(error.message).toContain("ELIZA_SERVER_AUTH_TOKEN");
  });

  it("surfaces the model provider's error from the agent log on a 500", async () => {
    const fetchImpl = fakeServer({
      "POST /api/messaging/sessions/s-1/messages": () => ({
        status: 500,
        body: { success: false, error: "Failed to process message in HTTP transport" },
      }),
      [`GET /api/agents/${AGENT.id}/logs`]: () => ({
        status: 200,
        body: {
          success: true,
          data: [{ type: "run_event", body: { error: "Incorrect API key provided: sk-****1234." } }],
        },
      }),
    });
    const error = await failure(runSmokeTest({ ...base, fetchImpl }));
    expect(error.code).toBe("model_failed");
    expect(error.message).toContain("Incorrect API key provided");
    expect(error.message).toContain("OPENAI_API_KEY");
  });

  it("gives up with no_reply when the reply does not come within the bound", async () => {
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).endsWith("/messages")) {
        return await new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        });
      }
      return fakeServer()(input, init);
    }) as typeof fetch;
    const error = await failure(runSmokeTest({ ...base, timeoutMs: 800, fetchImpl }));
    expect(error.code).toBe("no_reply");
    expect(error.message).toContain("did not reply within");
  });

  it("opens a new session and sends again when the server restarted and lost the session (404 once)", async () => {
    const opened: string[] = [];
    const sentTo: string[] = [];
    const users = new Set<string>();
    const deleted: string[] = [];
    const fetchImpl = fakeServer({
      "POST /api/messaging/sessions": ({ body }) => {
        users.add((body as { userId: string }).userId);
        const id = `s-${opened.length + 1}`;
        opened.push(id);
        return { status: 201, body: { sessionId: id, channelId: `c-${opened.length}`, agentId: AGENT.id } };
      },
      // ElizaOS 1.7.2's answer to a session id it does not know (SessionNotFoundError.toJSON()).
      "POST /api/messaging/sessions/s-1/messages": () => {
        sentTo.push("s-1");
        return {
          status: 404,
          body: { error: { code: "SESSION_NOT_FOUND", message: "Session with ID 's-1' not found" } },
        };
      },
      "POST /api/messaging/sessions/s-2/messages": () => {
        sentTo.push("s-2");
        return { status: 201, body: { success: true, agentResponse: { text: "pong after restart" } } };
      },
      "DELETE /api/messaging/sessions/s-2": () => {
        deleted.push("s-2");
        return { status: 200, body: { success: true } };
      },
    });
    const result = await runSmokeTest({ ...base, fetchImpl });
    expect(result.reply).toBe("pong after restart");
    expect(opened).toEqual(["s-1", "s-2"]);
    expect(sentTo).toEqual(["s-1", "s-2"]);
    // The same user: the agent keeps the conversation, which is in the database.
    expect(users.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(deleted).toEqual(["s-2"]);
  });

  it("reopens once only: a session lost again fails with what the server said", async () => {
    let opened = 0;
    const notFound = (id: string) => () => ({
      status: 404,
      body: { error: { code: "SESSION_NOT_FOUND", message: `Session with ID '${id}' not found` } },
    });
    const fetchImpl = fakeServer({
      "POST /api/messaging/sessions": () => {
        opened += 1;
        return { status: 201, body: { sessionId: `s-${opened}` } };
      },
      "POST /api/messaging/sessions/s-1/messages": notFound("s-1"),
      "POST /api/messaging/sessions/s-2/messages": notFound("s-2"),
    });
    const error = await failure(runSmokeTest({ ...base, fetchImpl }));
    expect(opened).toBe(2);
    expect(error.code).toBe("unexpected_response");
    expect(error.message).toContain("404");
    expect(error.message).toContain("SESSION_NOT_FOUND");
  });

  it("explains a 401 when the new session after a restart is refused (a rotated token)", async () => {
    let opened = 0;
    const fetchImpl = fakeServer({
      "POST /api/messaging/sessions": () => {
        opened += 1;
        return opened === 1
          ? { status: 201, body: { sessionId: "s-1" } }
          : { status: 401, body: { error: "API key required" } };
      },
      "POST /api/messaging/sessions/s-1/messages": () => ({
        status: 404,
        body: { error: { code: "SESSION_NOT_FOUND", message: "Session with ID 's-1' not found" } },
      }),
    });
    const error = await failure(runSmokeTest({ ...base, authToken: "old", fetchImpl }));
    expect(error.code).toBe("unauthorized");
  });

  it("polls the session when the server returns before the agent answered", async () => {
    const fetchImpl = fakeServer({
      "POST /api/messaging/sessions/s-1/messages": () => ({ status: 201, body: { success: true } }),
      "GET /api/messaging/sessions/s-1/messages": () => ({
        status: 200,
        body: { messages: [{ isAgent: true, content: "pong from poll" }] },
      }),
    });
    const result = await runSmokeTest({ ...base, fetchImpl });
    expect(result.reply).toBe("pong from poll");
  });
});

describe("smoke-test module", () => {
  it("has no runtime imports other than node built-ins and its session client (it is required inside the provider process)", () => {
    for (const file of ["smoke-test.ts", "chat-session.ts"]) {
      const source = readFileSync(join(__dirname, file), "utf8");
      const imports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
      expect(imports.length, file).toBeGreaterThan(0);
      expect(
        imports.every((name) => name?.startsWith("node:") || name === "./chat-session"),
        `${file} imports ${imports.join(", ")}`,
      ).toBe(true);
      expect(source).not.toMatch(/\brequire\(/);
    }
  });
});
