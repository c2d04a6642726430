import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  CharacterValidationError,
  checkCharacter,
  loadCharacter,
  validateCharacter,
} from "../../characters/schema";

const root = path.resolve(__dirname, "../..");
const FILE = "characters/x.character.json";

function problemsOf(data: unknown): string {
  try {
    validateCharacter(data, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(CharacterValidationError);
    return (err as Error).message;
  }
  throw new Error("expected validation to fail");
}

describe("character files in the repository", () => {
  for (const file of ["characters/server-bod.character.json", "characters/release-scribe.character.json"]) {
    it(`${file} validates`, () => {
      const character = loadCharacter(path.join(root, file), { label: file });
      expect(character.name.length).toBeGreaterThan(0);
      expect(character.plugins).toEqual(
        expect.arrayContaining([
          "@elizaos/plugin-sql",
          "@elizaos/plugin-bootstrap",
          "@elizaos/plugin-openai",
        ]),
      );
      expect(character.id).toMatch(/^[0-9a-f-]{36}$/);
    });
  }
});

describe("valid samples", () => {
  it("accepts the minimal character: name and a string bio", () => {
    expect(validateCharacter({ name: "A", bio: "b" }, FILE)).toEqual({ name: "A", bio: "b" });
  });

  it("accepts every optional field in its documented shape", () => {
    const full = {
      id: "5B1D0C2E-8F3A-4C6B-9E2D-7A4F1B3C5D60",
      name: "Full",
      username: "full",
      system: "sys",
      templates: { messageHandlerTemplate: "{{x}}" },
      bio: ["a", "b"],
      messageExamples: [
        [
          { name: "{{name1}}", content: { text: "hi", custom: { any: 1 } } },
          {
            name: "Full",
            content: {
              text: "hello",
              thought: "t",
              actions: ["REPLY"],
              providers: ["TIME"],
              source: "api",
              target: "x",
              url: "https://x",
              inReplyTo: "5b1d0c2e-8f3a-4c6b-9e2d-7a4f1b3c5d60",
              channelType: "DM",
              attachments: [{ id: "1", url: "https://x/img.png", contentType: "image", extra: true }],
            },
          },
        ],
      ],
      postExamples: ["p"],
      topics: ["t"],
      adjectives: ["a"],
      knowledge: ["docs/a.md", { path: "docs/b.md", shared: true }, { directory: "docs", shared: false }],
      plugins: ["@elizaos/plugin-sql"],
      settings: { secrets: { A: "b" }, avatar: "https://x", flag: true, n: 1, list: [1, "2"] },
      secrets: { K: "v", B: true, N: 2 },
      style: { all: ["a"], chat: ["c"], post: ["p"] },
    };
    const result = validateCharacter(full, FILE);
    // content keeps unknown keys; media objects are loose
    expect(result.messageExamples?.[0]?.[0]?.content).toMatchObject({ custom: { any: 1 } });
    expect(result.messageExamples?.[0]?.[1]?.content.attachments?.[0]).toMatchObject({ extra: true });
  });

  it("strips unknown keys inside style, knowledge objects and message examples (as core does)", () => {
    const result = validateCharacter(
      {
        name: "A",
        bio: "b",
        style: { all: ["x"], tone: ["y"] },
        knowledge: [{ path: "a.md", weight: 2 }],
        messageExamples: [[{ name: "u", content: { text: "x" }, user: "legacy" }]],
      },
      FILE,
    );
    expect(result.style).toEqual({ all: ["x"] });
    expect(result.knowledge).toEqual([{ path: "a.md" }]);
    expect(result.messageExamples?.[0]?.[0]).toEqual({ name: "u", content: { text: "x" } });
  });
});

describe("errors name the file, the field path and what is expected", () => {
  it("bio of the wrong type", () => {
    expect(problemsOf({ name: "A", bio: 5 })).toContain(
      "characters/x.character.json: bio: expected a string or an array of strings, got a number",
    );
    expect(problemsOf({ name: "A", bio: ["ok", 3] })).toContain(
      "characters/x.character.json: bio: expected a string or an array of strings, got an array containing a number",
    );
  });

  it("missing required fields", () => {
    const message = problemsOf({});
    expect(message).toContain("characters/x.character.json: name: missing (required)");
    expect(message).toContain("characters/x.character.json: bio: missing (required)");
    expect(message).toContain("(2 problems)");
  });

  it("empty name", () => {
    expect(problemsOf({ name: "", bio: "b" })).toContain(
      "characters/x.character.json: name: expected a non-empty string",
    );
  });

  it("unknown top-level fields: legacy 0.x fields and typos", () => {
    const message = problemsOf({
      name: "A",
      bio: "b",
      lore: ["x"],
      clients: [],
      modelProvider: "openai",
      topcs: [],
    });
    expect(message).toContain(
      "characters/x.character.json: lore: unknown field (an ElizaOS 0.x field that 1.x rejects)",
    );
    expect(message).toContain("characters/x.character.json: clients: unknown field");
    expect(message).toContain("characters/x.character.json: modelProvider: unknown field");
    expect(message).toContain('characters/x.character.json: topcs: unknown field; did you mean "topics"?');
  });

  it("nested paths in message examples, style, knowledge, settings and secrets", () => {
    const message = problemsOf({
      name: "A",
      bio: "b",
      messageExamples: [[{ name: "u", content: { text: 5 } }], "bad", [{ content: {} }]],
      style: { all: "x" },
      knowledge: [{ foo: 1 }],
      settings: { a: null },
      secrets: { k: {} },
      plugins: [1],
      id: "not-a-uuid",
    });
    for (const line of [
      "characters/x.character.json: messageExamples[0][0].content.text: expected a string (message text), got a number",
      "characters/x.character.json: messageExamples[1]: expected a conversation: an array of message objects, got a string",
      "characters/x.character.json: messageExamples[2][0].name: missing (required)",
      "characters/x.character.json: style.all: expected an array of strings",
      "characters/x.character.json: knowledge[0]: expected a file path string, {path: string",
      "characters/x.character.json: settings.a: expected a string, boolean, number, object or array, got null",
      "characters/x.character.json: secrets.k: expected a string, boolean or number, got an object",
      "characters/x.character.json: plugins[0]: expected a string",
      "characters/x.character.json: id: expected a UUID",
    ]) {
      expect(message).toContain(line);
    }
  });

  it("content fields: channelType enum, inReplyTo UUID, attachment required fields", () => {
    const message = problemsOf({
      name: "A",
      bio: "b",
      messageExamples: [
        [{ name: "u", content: { channelType: "dm", inReplyTo: "x", attachments: [{ id: "1" }] } }],
      ],
    });
    expect(message).toContain("messageExamples[0][0].content.channelType: expected one of SELF, DM");
    expect(message).toContain('got "dm"');
    expect(message).toContain("messageExamples[0][0].content.inReplyTo: expected a UUID");
    expect(message).toContain("messageExamples[0][0].content.attachments[0].url: missing (required)");
  });

  it("a non-object character", () => {
    expect(problemsOf(["x"])).toContain(
      "characters/x.character.json: expected a JSON object (the character), got an array",
    );
  });

  it("checkCharacter returns the problems without throwing", () => {
    const result = checkCharacter({ name: "A" });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([{ path: "bio", message: expect.stringContaining("missing") }]);
  });
});

describe("loadCharacter", () => {
  it("names the file for invalid JSON", () => {
    expect(() => loadCharacter("c.json", { readFile: () => "{ nope" })).toThrow(
      /^c\.json is not a valid .*\n {2}c\.json: invalid JSON/,
    );
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadCharacter("/nonexistent/c.json", { label: "characters/c.json" })).toThrow(
      /characters\/c\.json: cannot read the file/,
    );
  });

  it("validates what it reads", () => {
    expect(() => loadCharacter("c.json", { readFile: () => JSON.stringify({ name: "A", bio: {} }) })).toThrow(
      "c.json: bio: expected a string or an array of strings, got an object",
    );
  });
});
