// Reads the character files (characters/*.character.json at the repository root locally,
// /app/characters in the image: the same path relative to the agent directory) and prepares them
// for the runtime. Validation is core's own schema, so a bad file stops the start with its name and
// the field at fault instead of a server that runs with zero agents.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Character, validateCharacter } from "@elizaos/core";

/** dist/index.js (or src/index.ts) -> agent/ -> repository root -> characters/ */
export function defaultCharactersDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, "..", "..", "characters");
}

const CHARACTER_SUFFIX = ".character.json";

/** Plugins every agent needs, whatever its file says: the database and the message loop. */
const BASE_PLUGINS = ["@elizaos/plugin-sql", "@elizaos/plugin-bootstrap"];

/**
 * Environment knobs (all optional):
 * - CHARACTERS_DIR: where the *.character.json files are.
 * - AGENT_CHARACTERS: comma-separated file names (or paths) to run; default: every file in the dir.
 * - AGENT_CHARACTER_JSON: one whole character as JSON; replaces the files when set.
 */
export function loadCharacters(env: NodeJS.ProcessEnv): Character[] {
  if (env.AGENT_CHARACTER_JSON?.trim()) {
    return [prepare(parse(env.AGENT_CHARACTER_JSON, "AGENT_CHARACTER_JSON"), env)];
  }
  const dir = env.CHARACTERS_DIR?.trim() || defaultCharactersDir();
  const files = selectFiles(dir, env.AGENT_CHARACTERS);
  if (files.length === 0) {
    throw new Error(`No *${CHARACTER_SUFFIX} files in ${dir}. Set CHARACTERS_DIR or AGENT_CHARACTERS.`);
  }
  return files.map((file) => prepare(parse(readFileSync(file, "utf8"), file), env));
}

function selectFiles(dir: string, selection: string | undefined): string[] {
  const wanted = (selection ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (wanted.length > 0) {
    return wanted.map((name) => {
      const file = isAbsolute(name) ? name : join(dir, name);
      if (!existsSync(file)) throw new Error(`AGENT_CHARACTERS names ${name}, but ${file} does not exist.`);
      return file;
    });
  }
  if (!existsSync(dir)) throw new Error(`Characters directory ${dir} does not exist. Set CHARACTERS_DIR.`);
  return readdirSync(dir)
    .filter((name) => name.endsWith(CHARACTER_SUFFIX))
    .sort()
    .map((name) => join(dir, name));
}

function parse(text: string, label: string): Character {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${label}: invalid JSON: ${(error as Error).message}`);
  }
  const result = validateCharacter(data);
  if (!result.success || !result.data) {
    const issues = (result.error?.issues ?? [])
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new Error(`${label}: not a valid ElizaOS character: ${issues || result.error?.message}`);
  }
  return result.data as Character;
}

/**
 * Plugins: the base set, the ones the file lists, and the model provider whose key is present
 * (as `elizaos create` projects do). Plugins must be installed in the image: auto-install is off.
 */
function prepare(character: Character, env: NodeJS.ProcessEnv): Character {
  const plugins = new Set<string>([...BASE_PLUGINS, ...(character.plugins ?? [])]);
  if (env.OPENAI_API_KEY?.trim()) plugins.add("@elizaos/plugin-openai");
  if (env.IGNORE_BOOTSTRAP === "true") plugins.delete("@elizaos/plugin-bootstrap");
  return { ...character, plugins: [...plugins] };
}
