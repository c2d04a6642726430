// The production test's chat client: the shipped ChatSession (providers/coolify/src/chat-session.ts,
// the one the post-deploy smoke test uses: it opens a new session when a restart lost the old one)
// over fetch, and a wait for the agent's reply.
import { type ChatRequest, ChatSession } from "../../providers/coolify/src/chat-session";

export interface ChatReply {
  text: string;
  sessionId: string;
  /** True when the old session was gone (404) and a new one was opened for this message. */
  reopened: boolean;
  latencyMs: number;
}

/** Requests to the agent's API with its X-API-KEY, each bounded to 60 s. */
function fetchRequest(baseUrl: string, authToken: string): ChatRequest {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { "x-api-key": authToken, "content-type": "application/json", accept: "application/json" },
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
    return { status: res.status, body: json, text };
  };
}

export function chatSession(
  baseUrl: string,
  authToken: string,
  agentId: string,
  userId: string,
): ChatSession {
  return new ChatSession(fetchRequest(baseUrl, authToken), agentId, userId);
}

/** Sends a message (transport "http": the answer carries the reply). */
export async function sendForReply(session: ChatSession, content: string): Promise<ChatReply> {
  // Right after /health turns 200 the runtime may still be initialising: a 500 then is retried.
  const retryUntil = Date.now() + 20_000;
  let reopened = false;
  for (;;) {
    const started = Date.now();
    const posted = await session.post({ content, transport: "http" });
    const { response, sessionId } = posted;
    reopened ||= posted.reopened;
    if (response.status >= 500 && Date.now() < retryUntil) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
      continue;
    }
    const text = (response.body as { agentResponse?: { text?: string } } | undefined)?.agentResponse?.text;
    if ((response.status !== 200 && response.status !== 201) || typeof text !== "string") {
      throw new Error(`POST session message answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    return { text, sessionId, reopened, latencyMs: Date.now() - started };
  }
}
