/**
 * A zod mirror of the ElizaOS character schema of `@elizaos/core@1.7.2`
 * (`src/schemas/character.ts`), used to reject a bad character file before anything is deployed.
 *
 * Fidelity rules (from the core source):
 * - the top level is strict: legacy v0.x fields (`lore`, `clients`, `modelProvider`, ...) fail;
 * - `name` and `bio` are required; `bio` is a string or an array of strings;
 * - `style`, knowledge objects and message examples strip unknown keys;
 * - message `content` keeps unknown keys (catch-all), media attachments are loose.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** Says what kind of value was found, without echoing it (files may hold secrets). */
export function describeValue(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) {
    const odd = input.find((item) => typeof item !== "string");
    return odd === undefined ? "an array" : `an array containing ${describeValue(odd)}`;
  }
  switch (typeof input) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    case "object":
      return "an object";
    default:
      return typeof input;
  }
}

/** An error function for zod: "<expected>, got <kind>", or "missing; <expected>". */
export function expect(expected: string, opts: { showValue?: boolean } = {}) {
  return (issue: { input?: unknown }): string => {
    if (issue.input === undefined) return `missing (required); ${expected}`;
    const shown =
      opts.showValue && typeof issue.input === "string"
        ? JSON.stringify(issue.input.slice(0, 40))
        : describeValue(issue.input);
    return `${expected}, got ${shown}`;
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const uuid = z
  .string({ error: expect("expected a UUID string (8-4-4-4-12 hex digits)") })
  .regex(UUID_PATTERN, { error: "expected a UUID (8-4-4-4-12 hex digits): Invalid UUID format" });

const stringArray = (what: string) =>
  z.array(z.string({ error: expect(`expected a string (${what})`) }), {
    error: expect(`expected an array of strings (${what})`),
  });

export const CHANNEL_TYPES = [
  "SELF",
  "DM",
  "GROUP",
  "VOICE_DM",
  "VOICE_GROUP",
  "FEED",
  "THREAD",
  "WORLD",
  "FORUM",
  "API",
] as const;

export const CONTENT_TYPES = ["image", "video", "audio", "document", "link"] as const;

const optionalString = (what: string) =>
  z.string({ error: expect(`expected a string (${what})`) }).optional();

/** A media attachment: id and url required, loose (extra keys kept). */
export const mediaSchema = z.looseObject({
  id: z.string({ error: expect("expected a string (attachment id, required)") }),
  url: z.string({ error: expect("expected a string (attachment url, required)") }),
  title: optionalString("attachment title"),
  source: optionalString("attachment source"),
  description: optionalString("attachment description"),
  text: optionalString("attachment text"),
  contentType: z
    .enum(CONTENT_TYPES, {
      error: expect(`expected one of ${CONTENT_TYPES.join(", ")}`, { showValue: true }),
    })
    .optional(),
});

/** Message content: every field optional, unknown keys kept. */
export const contentSchema = z
  .object(
    {
      text: optionalString("message text"),
      thought: optionalString("the agent's thought"),
      actions: stringArray("action names").optional(),
      providers: stringArray("provider names").optional(),
      source: optionalString("message source"),
      target: optionalString("message target"),
      url: optionalString("message url"),
      inReplyTo: uuid.optional(),
      attachments: z.array(mediaSchema, { error: expect("expected an array of media objects") }).optional(),
      channelType: z
        .enum(CHANNEL_TYPES, {
          error: expect(`expected one of ${CHANNEL_TYPES.join(", ")}`, { showValue: true }),
        })
        .optional(),
    },
    { error: expect("expected an object like {text: string, actions?: string[]}") },
  )
  .catchall(z.unknown());

/** One message in an example conversation; unknown keys are stripped. */
export const messageExampleSchema = z.object(
  {
    name: z.string({
      error: expect("expected a string (speaker name, e.g. {{name1}} or the character's name)"),
    }),
    content: contentSchema,
  },
  { error: expect("expected a message object {name: string, content: {text: string}}") },
);

/** A knowledge entry: a file path, {path, shared?} or {directory, shared?}. */
export const knowledgeItemSchema = z.union(
  [
    z.string(),
    z.object({ path: z.string(), shared: z.boolean().optional() }),
    z.object({ directory: z.string(), shared: z.boolean().optional() }),
  ],
  {
    error:
      "expected a file path string, {path: string, shared?: boolean} or {directory: string, shared?: boolean}",
  },
);

const settingValue = z.union([z.string(), z.boolean(), z.number(), z.looseObject({}), z.array(z.unknown())], {
  error: expect("expected a string, boolean, number, object or array"),
});

const secretValue = z.union([z.string(), z.boolean(), z.number()], {
  error: expect("expected a string, boolean or number"),
});

export const styleSchema = z.object(
  {
    all: stringArray("style rules for every reply").optional(),
    chat: stringArray("style rules for chat").optional(),
    post: stringArray("style rules for posts").optional(),
  },
  { error: expect("expected an object {all?: string[], chat?: string[], post?: string[]}") },
);

export const characterSchema = z
  .object(
    {
      id: uuid.optional(),
      name: z
        .string({ error: expect("expected a non-empty string (Character name is required)") })
        .min(1, { error: "expected a non-empty string (Character name is required), got an empty string" }),
      username: optionalString("username"),
      system: optionalString("system prompt"),
      templates: z
        .record(z.string(), z.string({ error: expect("expected a string (prompt template)") }), {
          error: expect("expected an object mapping template names to strings"),
        })
        .optional(),
      bio: z.union([z.string(), z.array(z.string())], {
        error: expect("expected a string or an array of strings"),
      }),
      messageExamples: z
        .array(
          z.array(messageExampleSchema, {
            error: expect("expected a conversation: an array of message objects"),
          }),
          { error: expect("expected an array of conversations (each an array of {name, content} messages)") },
        )
        .optional(),
      postExamples: stringArray("example posts").optional(),
      topics: stringArray("topics").optional(),
      adjectives: stringArray("adjectives").optional(),
      knowledge: z
        .array(knowledgeItemSchema, { error: expect("expected an array of knowledge entries") })
        .optional(),
      plugins: stringArray("npm package names, e.g. @elizaos/plugin-sql").optional(),
      settings: z
        .record(z.string(), settingValue, {
          error: expect("expected an object of settings (e.g. {secrets: {}})"),
        })
        .optional(),
      secrets: z
        .record(z.string(), secretValue, {
          error: expect("expected an object mapping names to string/boolean/number"),
        })
        .optional(),
      style: styleSchema.optional(),
    },
    { error: expect("expected a JSON object (the character)") },
  )
  .strict();

export type Character = z.output<typeof characterSchema>;

/** Top-level fields of ElizaOS 0.x characters that 1.x rejects, with what to do instead. */
const LEGACY_FIELDS: Record<string, string> = {
  lore: "merge it into bio (ElizaOS 1.x has no lore)",
  clients: "remove it; 1.x selects clients through plugins (e.g. @elizaos/plugin-discord)",
  modelProvider: "remove it; 1.x selects the model through plugins (e.g. @elizaos/plugin-openai)",
  imageModelProvider: "remove it; 1.x selects models through plugins",
  imageVisionModelProvider: "remove it; 1.x selects models through plugins",
  people: "remove it (not part of the 1.x character)",
  extends: "remove it (not part of the 1.x character)",
  twitterProfile: "remove it (not part of the 1.x character)",
  nft: "remove it (not part of the 1.x character)",
};

export const CHARACTER_FIELDS = Object.keys(characterSchema.shape);

export interface CharacterProblem {
  /** Field path like `messageExamples[0][1].content.text`; empty for the file as a whole. */
  path: string;
  message: string;
}

/** Renders a zod issue path the way a person would write it in JSON: `a.b[0].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      const plain = /^[A-Za-z_$][\w$-]*$/.test(key);
      if (plain) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Levenshtein distance, for "did you mean" hints on typos. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

/** The known name closest to `key`, when it is close enough to be a likely typo. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(key.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function unknownFieldMessage(key: string): string {
  const legacy = LEGACY_FIELDS[key];
  if (legacy) return `unknown field (an ElizaOS 0.x field that 1.x rejects): ${legacy}`;
  const hint = nearest(key, CHARACTER_FIELDS);
  return hint
    ? `unknown field; did you mean "${hint}"?`
    : `unknown field; a 1.x character allows only: ${CHARACTER_FIELDS.join(", ")}`;
}

/** Validates without throwing: the parsed character, or every problem found. */
export function checkCharacter(
  data: unknown,
): { ok: true; character: Character } | { ok: false; problems: CharacterProblem[] } {
  const result = characterSchema.safeParse(data);
  if (result.success) return { ok: true, character: result.data };
  const problems: CharacterProblem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: unknownFieldMessage(key) });
      }
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  return { ok: false, problems };
}

/** One line per problem: `<file>: <field path>: <what is expected>`. */
export function formatCharacterProblems(fileLabel: string, problems: readonly CharacterProblem[]): string[] {
  return problems.map((p) =>
    p.path ? `${fileLabel}: ${p.path}: ${p.message}` : `${fileLabel}: ${p.message}`,
  );
}

export class CharacterValidationError extends Error {
  readonly file: string;
  readonly problems: CharacterProblem[];
  constructor(file: string, problems: CharacterProblem[]) {
    const lines = formatCharacterProblems(file, problems);
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(
      `${file} is not a valid ElizaOS 1.7.2 character (${count}):\n${lines.map((l) => `  ${l}`).join("\n")}`,
    );
    this.name = "CharacterValidationError";
    this.file = file;
    this.problems = problems;
  }
}

/** Validates a parsed character object; throws CharacterValidationError listing every problem. */
export function validateCharacter(data: unknown, fileLabel: string): Character {
  const result = checkCharacter(data);
  if (!result.ok) throw new CharacterValidationError(fileLabel, result.problems);
  return result.character;
}

/** Parses JSON text; a syntax error becomes a problem naming the file. */
export function parseCharacterJson(
  text: string,
): { ok: true; data: unknown } | { ok: false; problems: CharacterProblem[] } {
  try {
    return { ok: true, data: JSON.parse(text) };
  } catch (err) {
    return {
      ok: false,
      problems: [
        {
          path: "",
          message: `invalid JSON${jsonErrorAt(text, err as Error)} — fix the syntax there (a missing quote, comma or brace)`,
        },
      ],
    };
  }
}

/**
 * Where a JSON.parse error is, as line and column, and why. Node versions word the position
 * differently ("at position 20", "(line 1 column 21)"), so it is taken out and given one way.
 */
function jsonErrorAt(text: string, err: Error): string {
  const position = /at position (\d+)/.exec(err.message);
  const reason = err.message
    .replace(/\s*\(line \d+ column \d+\)/, "")
    .replace(/\s+in JSON at position \d+/, "")
    .replace(/\s+at position \d+/, "");
  if (!position) return `: ${reason}`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column}: ${reason}`;
}

/**
 * Reads, parses and validates a character file. `label` is how the file is named in errors
 * (defaults to the path as given).
 */
export function loadCharacter(
  path: string,
  opts: { label?: string; readFile?: (p: string) => string } = {},
): Character {
  const label = opts.label ?? path;
  let text: string;
  try {
    text = opts.readFile ? opts.readFile(path) : readFileSync(path, "utf8");
  } catch (err) {
    throw new CharacterValidationError(label, [
      { path: "", message: `cannot read the file: ${(err as Error).message}` },
    ]);
  }
  const parsed = parseCharacterJson(text);
  if (!parsed.ok) throw new CharacterValidationError(label, parsed.problems);
  return validateCharacter(parsed.data, label);
}
