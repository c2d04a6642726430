// ChatSession against a scripted fake server. The same restart is proven against the real agent
// container in test/production/agent-container.test.ts.
import { describe, expect, it } from "vitest";
import {
  type ChatRequest,
  type ChatResponse,
  ChatSession,
  isSessionNotFound,
  SessionOpenError,
} from "./chat-session";

const AGENT_ID = "5b1d0c2e-8f3a-4c6b-9e2d-7a4f1b3c5d60";

function answer(status: number, body: unknown): ChatResponse {
  const text = JSON.stringify(body);
  return { status, body, text };
}

/** ElizaOS 1.7.2's answer to an unknown session id (SessionNotFoundError.toJSON()). */
const sessionNotFound = (id: string) =>
  answer(404, { error: { code: "SESSION_NOT_FOUND", message: `Session with ID '${id}' not found` } });

/** A server that knows the sessions it opened, and forgets them all on restart(). */
function fakeServer() {
  const live = new Set<string>();
  const log: string[] = [];
  const users: string[] = [];
  let opened = 0;
  const request: ChatRequest = async (method, path, body) => {
    log.push(`${method} ${path}`);
    if (method === "POST" && path === "/api/messaging/sessions") {
      users.push((body as { userId: string }).userId);
      opened += 1;
      const id = `s-${opened}`;
      live.add(id);
      return answer(201, { sessionId: id, channelId: `c-${opened}`, agentId: AGENT_ID });
    }
    const message = /^\/api\/messaging\/sessions\/([^/]+)\/messages$/.exec(path);
    if (method === "POST" && message?.[1]) {
      if (!live.has(message[1])) return sessionNotFound(message[1]);
      return answer(201, { success: true, agentResponse: { text: `reply in ${message[1]}` } });
    }
    return answer(404, { error: "Not Found" });
  };
  return { request, log, users, restart: () => live.clear() };
}

describe("ChatSession", () => {
  it("opens a session on the first message and keeps using it", async () => {
    const server = fakeServer();
    const chat = new ChatSession(server.request, AGENT_ID);
    const first = await chat.post({ content: "hello", transport: "http" });
    const second = await chat.post({ content: "again", transport: "http" });
    expect(first).toMatchObject({ sessionId: "s-1", reopened: false, response: { status: 201 } });
    expect(second).toMatchObject({ sessionId: "s-1", reopened: false });
    expect(server.log.filter((l) => l === "POST /api/messaging/sessions")).toHaveLength(1);
    expect(chat.channels).toEqual(["c-1"]);
  });

  it("after a restart (404 SESSION_NOT_FOUND once) opens a new session for the same user and sends again", async () => {
    const server = fakeServer();
    const chat = new ChatSession(server.request, AGENT_ID, "user-1");
    await chat.post({ content: "before" });
    server.restart();
    const after = await chat.post({ content: "after" });
    expect(after.reopened).toBe(true);
    expect(after.sessionId).toBe("s-2");
    expect(after.response.body).toMatchObject({ agentResponse: { text: "reply in s-2" } });
    expect(chat.sessionId).toBe("s-2");
    expect(chat.channels).toEqual(["c-1", "c-2"]);
    expect(server.users).toEqual(["user-1", "user-1"]);
    expect(server.log).toEqual([
      "POST /api/messaging/sessions",
      "POST /api/messaging/sessions/s-1/messages",
      "POST /api/messaging/sessions/s-1/messages",
      "POST /api/messaging/sessions",
      "POST /api/messaging/sessions/s-2/messages",
    ]);
    // The next message goes to the new session without another reopen.
    expect(await chat.post({ content: "still there?" })).toMatchObject({ sessionId: "s-2", reopened: false });
  });

  it("reopens once per message: a second 404 goes back to the caller", async () => {
    let opened = 0;
    const request: ChatRequest = async (_method, path) => {
      if (path === "/api/messaging/sessions") {
        opened += 1;
        return answer(201, { sessionId: `s-${opened}` });
      }
      return sessionNotFound(`s-${opened}`);
    };
    const chat = new ChatSession(request, AGENT_ID);
    const posted = await chat.post({ content: "x" });
    expect(opened).toBe(2);
    expect(posted.reopened).toBe(true);
    expect(posted.response.status).toBe(404);
  });

  it("does not take any 404 for a lost session (a wrong path, an unknown agent)", async () => {
    expect(isSessionNotFound(sessionNotFound("s-1"))).toBe(true);
    expect(isSessionNotFound(answer(404, { error: "Not Found" }))).toBe(false);
    expect(
      isSessionNotFound(
        answer(404, { error: { code: "AGENT_NOT_FOUND", message: "Agent with ID 'a' not found" } }),
      ),
    ).toBe(false);
    expect(isSessionNotFound({ ...sessionNotFound("s-1"), status: 500 })).toBe(false);
    let opened = 0;
    const request: ChatRequest = async (_method, path) => {
      if (path === "/api/messaging/sessions") {
        opened += 1;
        return answer(201, { sessionId: "s-1" });
      }
      return answer(404, { error: "Not Found" });
    };
    const posted = await new ChatSession(request, AGENT_ID).post({ content: "x" });
    expect(opened).toBe(1);
    expect(posted).toMatchObject({ reopened: false, response: { status: 404 } });
  });

  it("a session the server will not open is a SessionOpenError with the server's answer", async () => {
    const request: ChatRequest = async () => answer(401, { error: "API key required" });
    const error = await new ChatSession(request, AGENT_ID).open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionOpenError);
    expect((error as SessionOpenError).response.status).toBe(401);
    expect((error as Error).message).toContain("401");
    const noId: ChatRequest = async () => answer(201, { ok: true });
    await expect(new ChatSession(noId, AGENT_ID).open()).rejects.toThrow(SessionOpenError);
  });
});
