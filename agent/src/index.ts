// The ElizaOS project that `elizaos start` / `elizaos dev` load (package.json "main" -> dist/index.js).
// Its agents are the character files the Pulumi program validates and deploys, so the local modes
// and the Coolify image run the same characters with the same environment variables.
import { type Character, logger, type Project, type ProjectAgent } from "@elizaos/core";
import { loadCharacters } from "./characters.ts";

const characters = loadCharacters(process.env);

function toProjectAgent(character: Character): ProjectAgent {
  return {
    character,
    init: async (runtime) => {
      logger.info({ agentId: runtime.agentId, name: character.name }, "Agent initialised");
    },
  };
}

const project: Project = { agents: characters.map(toProjectAgent) };

export default project;
