// A small OpenAI-compatible model server for tests. The real ElizaOS runtime talks to it through
// @elizaos/plugin-openai's OPENAI_BASE_URL, so chat works end to end with no outside network.
//
// What @elizaos/plugin-openai 1.6.0 (with @ai-sdk/openai 2.x) requests:
//   GET  /v1/models              at plugin init, to validate the key (a failure only logs a warning)
//   POST /v1/responses           TEXT_SMALL / TEXT_LARGE (generateText, streamText) and
//                                OBJECT_* (generateObject, output "no-schema" => json_object format)
//   POST /v1/embeddings          TEXT_EMBEDDING (plain fetch: { model, input })
//   POST /v1/chat/completions    IMAGE_DESCRIPTION, and any chat-completions client
// Answers are deterministic: the reply is built from the prompt, never random.
// Every request needs `Authorization: Bearer <apiKey>`; anything else gets OpenAI's 401 shape.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ModelServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Host to bind; defaults to 127.0.0.1. */
  host?: string;
  /** The only API key accepted. Defaults to "sk-test-model-server". */
  apiKey?: string;
  /** Length of returned embeddings when the request does not say; defaults to 1536 (plugin default). */
  embeddingDimensions?: number;
  /** Delay before answering text generations (responses, chat completions), to simulate a slow provider. */
  replyDelayMs?: number;
}

export interface ModelServerRequest {
  method: string;
  path: string;
  authorized: boolean;
  model?: string;
  stream?: boolean;
}

export interface ModelServer {
  /** Base URL including /v1, ready for OPENAI_BASE_URL. */
  url: string;
  apiKey: string;
  /** Every request seen, in order (for assertions). */
  requests: ModelServerRequest[];
  /** Changes the delay before text answers (simulates a slow provider from now on). */
  setReplyDelay(ms: number): void;
  close(): Promise<void>;
}

export const DEFAULT_TEST_API_KEY = "sk-test-model-server";

/** The fixed phrase every chat reply contains, so tests can assert on it. */
export const REPLY_MARKER = "pong";

type Json = Record<string, unknown>;

export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const apiKey = options.apiKey ?? DEFAULT_TEST_API_KEY;
  const embeddingDimensions = options.embeddingDimensions ?? 1536;
  const requests: ModelServerRequest[] = [];
  let replyDelayMs = options.replyDelayMs ?? 0;
  let sequence = 0;
  const nextId = (prefix: string) => `${prefix}_${(++sequence).toString().padStart(6, "0")}`;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendError(res, 500, error instanceof Error ? error.message : String(error), "server_error");
      } else {
        res.end();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
    const authorized = req.headers.authorization === `Bearer ${apiKey}`;
    const body = method === "POST" ? await readJson(req) : {};
    const record: ModelServerRequest = { method, path, authorized };
    if (typeof body.model === "string") record.model = body.model;
    if (body.stream === true) record.stream = true;
    requests.push(record);

    if (!authorized) {
      const given = bearer(req.headers.authorization);
      sendError(
        res,
        401,
        `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        "invalid_request_error",
        "invalid_api_key",
      );
      return;
    }

    if (method === "GET" && (path === "/v1/models" || path === "/models")) {
      sendJson(res, 200, {
        object: "list",
        data: ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"].map((id) => ({
          id,
          object: "model",
          created: 1_700_000_000,
          owned_by: "eliza-coolify-test",
        })),
      });
      return;
    }
    if (method === "POST" && (path === "/v1/responses" || path === "/responses")) {
      await delay(replyDelayMs);
      respondResponses(res, body);
      return;
    }
    if (method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions")) {
      await delay(replyDelayMs);
      respondChatCompletions(res, body);
      return;
    }
    if (method === "POST" && (path === "/v1/embeddings" || path === "/embeddings")) {
      respondEmbeddings(res, body);
      return;
    }
    sendError(res, 404, `Unknown route ${method} ${path}`, "invalid_request_error", "unknown_url");
  }

  function respondResponses(res: ServerResponse, body: Json): void {
    const model = typeof body.model === "string" ? body.model : "gpt-4o-mini";
    const prompt = [stringOf(body.instructions), flattenInput(body.input)].join("\n");
    const wantsJson = isJsonFormat((body.text as Json | undefined)?.format);
    const text = wantsJson ? JSON.stringify(objectAnswer()) : textAnswer(prompt);
    const id = nextId("resp");
    const messageId = nextId("msg");
    const createdAt = Math.floor(Date.now() / 1000);
    const usage = { input_tokens: countTokens(prompt), output_tokens: countTokens(text) };
    if (body.stream === true) {
      startSse(res);
      sse(res, { type: "response.created", response: { id, created_at: createdAt, model } });
      sse(res, {
        type: "response.output_item.added",
        output_index: 0,
        item: { type: "message", id: messageId },
      });
      for (const piece of chunks(text)) {
        sse(res, { type: "response.output_text.delta", item_id: messageId, delta: piece });
      }
      sse(res, {
        type: "response.output_item.done",
        output_index: 0,
        item: { type: "message", id: messageId },
      });
      sse(res, { type: "response.completed", response: { incomplete_details: null, usage } });
      res.end();
      return;
    }
    sendJson(res, 200, {
      id,
      object: "response",
      created_at: createdAt,
      status: "completed",
      model,
      output: [
        {
          type: "message",
          id: messageId,
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }],
        },
      ],
      incomplete_details: null,
      usage: { ...usage, total_tokens: usage.input_tokens + usage.output_tokens },
    });
  }

  function respondChatCompletions(res: ServerResponse, body: Json): void {
    const model = typeof body.model === "string" ? body.model : "gpt-4o-mini";
    const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
    const prompt = flattenInput(messages);
    const wantsJson = isJsonFormat(body.response_format);
    const text = wantsJson ? JSON.stringify(objectAnswer()) : textAnswer(prompt);
    const id = nextId("chatcmpl");
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: countTokens(prompt),
      completion_tokens: countTokens(text),
      total_tokens: countTokens(prompt) + countTokens(text),
    };
    if (body.stream === true) {
      startSse(res);
      const base = { id, object: "chat.completion.chunk", created, model };
      sse(res, {
        ...base,
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      });
      for (const piece of chunks(text)) {
        sse(res, { ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
      }
      sse(res, { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage });
      res.write("data: [DONE]\n\n");
      res.end();
      return;
    }
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage,
    });
  }

  function respondEmbeddings(res: ServerResponse, body: Json): void {
    const inputs = Array.isArray(body.input) ? body.input.map(String) : [stringOf(body.input)];
    const dimensions = typeof body.dimensions === "number" ? body.dimensions : embeddingDimensions;
    sendJson(res, 200, {
      object: "list",
      model: typeof body.model === "string" ? body.model : "text-embedding-3-small",
      data: inputs.map((input, index) => ({
        object: "embedding",
        index,
        embedding: embed(input, dimensions),
      })),
      usage: { prompt_tokens: countTokens(inputs.join(" ")), total_tokens: countTokens(inputs.join(" ")) },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/v1`,
    apiKey,
    requests,
    setReplyDelay: (ms) => {
      replyDelayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The deterministic answer for a text prompt. ElizaOS prompts ask for XML blocks; the shape
 * depends on which template asked, so answer in the shape that template parses.
 */
export function textAnswer(prompt: string): string {
  const agentName =
    /character (.+?)\.<\/task>/.exec(prompt)?.[1] ??
    /on behalf of (.+?) whether/.exec(prompt)?.[1] ??
    /<name>([^<{]+)<\/name>/.exec(prompt)?.[1] ??
    "the agent";
  if (
    /<action>RESPOND \| IGNORE \| STOP<\/action>/.test(prompt) ||
    /whether they should respond/.test(prompt)
  ) {
    return `<response>\n  <name>${agentName}</name>\n  <reasoning>The message is addressed to ${agentName}.</reasoning>\n  <action>RESPOND</action>\n</response>`;
  }
  if (/<post>/.test(prompt)) {
    return `<response>\n  <thought>Share a status note.</thought>\n  <post>All services healthy.</post>\n</response>`;
  }
  if (/<facts>|<relationships>|reflect/i.test(prompt) && !/<actions>/.test(prompt)) {
    return `<response>\n  <thought>Nothing new to remember.</thought>\n  <facts></facts>\n  <relationships></relationships>\n</response>`;
  }
  const reply = `${REPLY_MARKER}: ${agentName} is up and answering (deterministic test model).`;
  return `<response>\n  <thought>Answer the user briefly.</thought>\n  <actions>REPLY</actions>\n  <providers></providers>\n  <text>${reply}</text>\n</response>`;
}

function objectAnswer(): Json {
  return { thought: "Nothing new to remember.", facts: [], relationships: [] };
}

/** A unit-length vector derived from the text's hash: same text, same vector. */
function embed(text: string, dimensions: number): number[] {
  const seed = createHash("sha256").update(text).digest();
  const vector = Array.from({ length: dimensions }, (_, i) => ((seed[i % seed.length] ?? 0) - 127.5) / 127.5);
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  return vector.map((v) => Number((v / norm).toFixed(6)));
}

function delay(ms: number | undefined): Promise<void> {
  return ms && ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function isJsonFormat(format: unknown): boolean {
  const type = (format as Json | undefined)?.type;
  return type === "json_object" || type === "json_schema";
}

/** Text of a Responses `input` or a chat `messages` array, whatever its nesting. */
function flattenInput(input: unknown): string {
  if (typeof input === "string") return input;
  if (Array.isArray(input)) return input.map(flattenInput).join("\n");
  if (input && typeof input === "object") {
    const item = input as Json;
    if (typeof item.text === "string") return item.text;
    if (item.content !== undefined) return flattenInput(item.content);
  }
  return "";
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function chunks(text: string): string[] {
  return text.match(/[\s\S]{1,24}/g) ?? [""];
}

function bearer(header: string | undefined): string {
  return header?.startsWith("Bearer ") ? header.slice(7) : (header ?? "");
}

function maskKey(key: string): string {
  if (!key) return "(none)";
  return key.length <= 8 ? "****" : `${key.slice(0, 3)}****${key.slice(-4)}`;
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const raw = Buffer.concat(parts).toString("utf8");
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, type: string, code?: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: code ?? null } });
}

function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
}

function sse(res: ServerResponse, event: Json): void {
  res.write(`data: ${JSON.stringify(event)}\n\n`);
}
