/** An agent's `characterFile`: read and validated against the ElizaOS character schema. */
import * as nodePath from "node:path";
import {
  type Character,
  CharacterValidationError,
  formatCharacterProblems,
  loadCharacter,
} from "../../characters/schema";
import { ns } from "./keys";
import type { Problems } from "./problems";

/** The character, or undefined with every problem in the file reported under `<at>.characterFile`. */
export function loadAgentCharacter(
  characterFile: string,
  at: string,
  baseDir: string,
  readFile: (p: string) => string,
  problems: Problems,
): Character | undefined {
  const full = nodePath.resolve(baseDir, characterFile);
  try {
    return loadCharacter(full, { label: characterFile, readFile });
  } catch (err) {
    if (!(err instanceof CharacterValidationError)) throw err;
    const unreadable = err.problems.length === 1 && err.problems[0]?.message.startsWith("cannot read");
    if (unreadable) {
      problems.add(
        ns("agents"),
        `${at}.characterFile`,
        `${characterFile}: file not found or unreadable (looked in ${full}) — give a path relative to the project root`,
      );
    } else {
      for (const line of formatCharacterProblems(characterFile, err.problems)) {
        problems.add(ns("agents"), `${at}.characterFile`, line);
      }
    }
    return undefined;
  }
}
