// A chat session with an ElizaOS 1.7 agent over the Sessions API that survives a server restart.
// Sessions live in the server's memory (notes/runtime-and-versions.md section 5): after a restart
// or a redeploy the old session id answers 404 (code SESSION_NOT_FOUND, "Session with ID '...' not
// found"). The conversation itself is in the database and is not lost, so the client opens a new
// session for the same user and sends the message again, once.
//
// Used by the post-deploy smoke test (smoke-test.ts, so by AgentSmokeTest and scripts/smoke-test.ts)
// and by the production-mode test. It is required lazily inside the Pulumi dynamic provider process,
// so it must stay free of module-level imports other than node built-ins and `import type`.

import { randomUUID } from "node:crypto";

/** The server's answer to one request: the status, the parsed JSON body (or the text), the text. */
export interface ChatResponse {
  status: number;
  body: unknown;
  text: string;
}

/** Sends one request to the server (path from the origin, e.g. /api/messaging/sessions). */
export type ChatRequest = (method: string, path: string, body?: unknown) => Promise<ChatResponse>;

/** ElizaOS's answer to a session id it does not know (any more): 404 SESSION_NOT_FOUND. */
export function isSessionNotFound(res: ChatResponse): boolean {
  return res.status === 404 && /SESSION_NOT_FOUND|session\b.*\bnot found/i.test(res.text);
}

/** POST /api/messaging/sessions did not give a session; `response` is what the server said. */
export class SessionOpenError extends Error {
  constructor(readonly response: ChatResponse) {
    super(
      `POST /api/messaging/sessions answered ${response.status}: ${response.text.replace(/\s+/g, " ").slice(0, 300)}`,
    );
    this.name = "SessionOpenError";
  }
}

export interface PostedMessage {
  /** The server's answer to the message, as it came: the caller reads the reply from it. */
  response: ChatResponse;
  /** The session the message went to. */
  sessionId: string;
  /** True when the session was gone (404 SESSION_NOT_FOUND) and a new one was opened for it. */
  reopened: boolean;
}

export class ChatSession {
  private id: string | undefined;
  /** The channel of every session this client opened, oldest first (where the history is). */
  readonly channels: string[] = [];

  constructor(
    private readonly request: ChatRequest,
    readonly agentId: string,
    /** The user the agent talks to; a new session keeps it, so the agent knows the conversation. */
    readonly userId: string = randomUUID(),
  ) {}

  /** The current session's id; undefined before the first open. */
  get sessionId(): string | undefined {
    return this.id;
  }

  /** Opens a session for this user with the agent (a DM channel). */
  async open(): Promise<{ sessionId: string; channelId: string | undefined }> {
    const res = await this.request("POST", "/api/messaging/sessions", {
      agentId: this.agentId,
      userId: this.userId,
    });
    const sessionId = field(res.body, "sessionId");
    if ((res.status !== 201 && res.status !== 200) || sessionId === undefined) {
      throw new SessionOpenError(res);
    }
    const channelId = field(res.body, "channelId");
    this.id = sessionId;
    if (channelId !== undefined) this.channels.push(channelId);
    return { sessionId, channelId };
  }

  /**
   * Posts one message to the session, opening one first if there is none. When the server no
   * longer knows the session (it restarted), opens a new one and posts again, once: a second 404
   * is returned to the caller like any other answer.
   */
  async post(message: Record<string, unknown>): Promise<PostedMessage> {
    if (this.id === undefined) await this.open();
    let reopened = false;
    for (;;) {
      const sessionId = this.id as string;
      const response = await this.request("POST", `/api/messaging/sessions/${sessionId}/messages`, message);
      if (!reopened && isSessionNotFound(response)) {
        reopened = true;
        await this.open();
        continue;
      }
      return { response, sessionId, reopened };
    }
  }
}

function field(body: unknown, key: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}
