// A chat client over ElizaOS 1.7.2's Sessions API that survives a server restart. Sessions live in
// the server's memory (notes/runtime-and-versions.md section 5): after a restart or redeploy the
// old session id answers 404 (code SESSION_NOT_FOUND, "Session with ID ... not found"), and the client opens a new session for the same
// user and sends again. The conversation itself is in the database and is not lost.

export interface ChatReply {
  text: string;
  sessionId: string;
  /** True when the old session was gone (404) and a new one was opened for this message. */
  reopened: boolean;
  latencyMs: number;
}

export class ChatSession {
  private sessionId: string | undefined;
  /** Channels of every session this client opened, oldest first. */
  readonly channels: string[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly authToken: string,
    private readonly agentId: string,
    readonly userId: string,
  ) {}

  private async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; text: string }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        "x-api-key": this.authToken,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  async open(): Promise<{ sessionId: string; channelId: string }> {
    const res = await this.request("POST", "/api/messaging/sessions", {
      agentId: this.agentId,
      userId: this.userId,
    });
    const body = res.json as { sessionId?: string; channelId?: string } | undefined;
    if (res.status !== 201 || !body?.sessionId || !body.channelId) {
      throw new Error(`POST /api/messaging/sessions answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    this.sessionId = body.sessionId;
    this.channels.push(body.channelId);
    return { sessionId: body.sessionId, channelId: body.channelId };
  }

  /** Sends a message and waits for the reply (transport "http"); reopens a lost session once. */
  async send(content: string): Promise<ChatReply> {
    let reopened = false;
    if (!this.sessionId) await this.open();
    // Right after /health turns 200 the runtime may still be initialising: a 500 then is retried.
    const retryUntil = Date.now() + 20_000;
    for (;;) {
      const sessionId = this.sessionId as string;
      const started = Date.now();
      const res = await this.request("POST", `/api/messaging/sessions/${sessionId}/messages`, {
        content,
        transport: "http",
      });
      if (res.status === 404 && /SESSION_NOT_FOUND|session not found/i.test(res.text) && !reopened) {
        reopened = true;
        await this.open();
        continue;
      }
      if (res.status >= 500 && Date.now() < retryUntil) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
        continue;
      }
      const text = (res.json as { agentResponse?: { text?: string } } | undefined)?.agentResponse?.text;
      if ((res.status !== 200 && res.status !== 201) || typeof text !== "string") {
        throw new Error(`POST session message answered ${res.status}: ${res.text.slice(0, 300)}`);
      }
      return { text, sessionId, reopened, latencyMs: Date.now() - started };
    }
  }

  /** The session's current id (undefined before the first open). */
  get currentSessionId(): string | undefined {
    return this.sessionId;
  }
}
