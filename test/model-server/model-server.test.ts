import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelServer, REPLY_MARKER, startModelServer, textAnswer } from "./index";

describe("test model server", () => {
  let server: ModelServer;
  const key = "sk-unit-test-key";
  const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };

  beforeAll(async () => {
    server = await startModelServer({ apiKey: key, embeddingDimensions: 8 });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers 401 in OpenAI's error shape for a wrong key", async () => {
    const res = await fetch(`${server.url}/models`, { headers: { authorization: "Bearer sk-wrong-0000" } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_api_key");
    expect(body.error.message).toContain("Incorrect API key provided: sk-****0000");
  });

  it("lists models", async () => {
    const res = await fetch(`${server.url}/models`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).toContain("gpt-4o-mini");
  });

  it("answers the Responses API with the message-handler XML ElizaOS parses", async () => {
    const prompt = "<task>Generate dialog and actions for the character Server Bod.</task>\n<actions>";
    const res = await fetch(`${server.url}/responses`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        model: "gpt-4o",
        input: [{ role: "user", content: [{ type: "input_text", text: prompt }] }],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      output: { type: string; content: { type: string; text: string }[] }[];
      usage: { input_tokens: number; output_tokens: number };
    };
    const text = body.output[0]?.content[0]?.text ?? "";
    expect(text).toContain("<actions>REPLY</actions>");
    expect(text).toContain(`<text>${REPLY_MARKER}: Server Bod`);
    expect(body.usage.output_tokens).toBeGreaterThan(0);
  });

  it("streams the Responses API as server-sent events", async () => {
    const res = await fetch(`${server.url}/responses`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "gpt-4o", stream: true, input: "hello" }),
    });
    const events = (await res.text())
      .split("\n\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: string });
    expect(events[0]?.type).toBe("response.created");
    expect(events.at(-1)?.type).toBe("response.completed");
    const text = events.map((e) => e.delta ?? "").join("");
    expect(text).toBe(textAnswer("hello"));
  });

  it("answers json_object requests with JSON", async () => {
    const res = await fetch(`${server.url}/responses`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "gpt-4o", input: "x", text: { format: { type: "json_object" } } }),
    });
    const body = (await res.json()) as { output: { content: { text: string }[] }[] };
    expect(JSON.parse(body.output[0]?.content[0]?.text ?? "")).toHaveProperty("facts");
  });

  it("answers chat completions, plain and streamed", async () => {
    const plain = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    const body = (await plain.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toContain(REPLY_MARKER);

    const streamed = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        model: "gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    const raw = await streamed.text();
    expect(raw.trim().endsWith("data: [DONE]")).toBe(true);
  });

  it("returns deterministic unit-length embeddings of the configured size", async () => {
    const embed = async (input: string) => {
      const res = await fetch(`${server.url}/embeddings`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "text-embedding-3-small", input }),
      });
      const body = (await res.json()) as { data: { embedding: number[] }[] };
      return body.data[0]?.embedding ?? [];
    };
    const a = await embed("same text");
    expect(a).toHaveLength(8);
    expect(await embed("same text")).toEqual(a);
    expect(await embed("other text")).not.toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 3);
  });

  it("records requests for assertions", () => {
    expect(server.requests.some((r) => r.path === "/v1/responses" && r.authorized)).toBe(true);
    expect(server.requests.some((r) => !r.authorized)).toBe(true);
  });
});

describe("textAnswer", () => {
  it("answers the should-respond template with RESPOND", () => {
    const prompt = "<task>Decide on behalf of Server Bod whether they should respond to the message</task>";
    expect(textAnswer(prompt)).toContain("<action>RESPOND</action>");
  });
});
