/**
 * The `agents` list: each entry checked against the agent schema and then against everything
 * it refers to (character file, build context, model key, registry password), and the list as
 * a whole for duplicate names and domains. Every agent is checked even when others fail.
 */
import * as nodePath from "node:path";
import { describeValue } from "../../characters/schema";
import { parseStackFrontDoor, resolveFrontDoor, type StackFrontDoor } from "../front-door";
import {
  type AgentConfig,
  type AgentFields,
  agentKnownKeys,
  agentSchema,
  SIZE_LIMITS,
  salvageAgentFields,
} from "./agent-schema";
import { loadAgentCharacter } from "./character-file";
import { checkDomain, stripUndefined } from "./formats";
import { ns } from "./keys";
import { checkCharacterForProvider, checkModelBaseUrl } from "./model-provider";
import type { Problems } from "./problems";
import { checkAgentEnv } from "./reserved-env";
import { MissingModelKeys, type Secrets } from "./secrets";
import { placeAgent, type ServersConfig } from "./servers";
import type { ConfigValues } from "./values";

export interface AgentsContext {
  stack: string;
  baseDir: string;
  readFile: (p: string) => string;
  exists: (p: string) => boolean;
  values: ConfigValues;
  secrets: Secrets;
  problems: Problems;
  warnings: string[];
  servers: ServersConfig;
  /** As given (validated by database.ts): placement depends on it. */
  databaseMode: unknown;
  /** The stack's `rollback` default (lifecycle.ts). */
  rollbackDefault: boolean;
}

/** What the agents of one stack must not share: the first agent to use a value keeps it. */
class UniqueAcrossAgents {
  private readonly firstUse = { name: new Map<string, number>(), domain: new Map<string, number>() };

  claim(field: "name" | "domain", value: string, index: number, problems: Problems): void {
    const first = this.firstUse[field].get(value);
    if (first === undefined) {
      this.firstUse[field].set(value, index);
      return;
    }
    const message =
      field === "name"
        ? `"${value}" is already used by agents[${first}] — agent names must be unique within the stack`
        : `${value} is already used by agents[${first}] — each agent needs its own hostname`;
    problems.add(ns("agents"), `[${index}].${field}`, message);
  }
}

export function parseAgents(ctx: AgentsContext): AgentConfig[] {
  const unique = new UniqueAcrossAgents();
  const missingKeys = new MissingModelKeys();
  const agents: AgentConfig[] = [];
  const frontDoor = parseStackFrontDoor(ctx.values.raw.frontDoor);
  for (const p of frontDoor.problems) ctx.problems.add(ns(p.key), p.path, p.message);
  agentEntries(ctx).forEach((rawAgent, index) => {
    const agent = parseAgent(rawAgent, index, ctx, unique, missingKeys, frontDoor);
    if (agent) agents.push(agent);
  });
  missingKeys.report(ctx.problems);
  return agents;
}

/** The list as given: YAML in the stack file, or a JSON string (how pulumi.Config returns it). */
function agentEntries({ values, problems, stack }: AgentsContext): unknown[] {
  let list = values.raw.agents;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      problems.add(
        ns("agents"),
        "",
        "is not valid JSON/YAML — give a list of agent objects in Pulumi.<stack>.yaml",
      );
      list = null;
    }
  }
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    problems.add(
      ns("agents"),
      "",
      `at least one agent is required — add to Pulumi.${stack}.yaml:\n      ${ns("agents")}:\n        - name: server-bod\n          characterFile: characters/server-bod.character.json\n          source: { type: image, image: ghcr.io/acme/eliza-agent:1.7.2 }`,
    );
  } else if (list !== null && !Array.isArray(list)) {
    problems.add(ns("agents"), "", `expected a list of agent objects (got ${describeValue(list)})`);
  }
  return Array.isArray(list) ? list : [];
}

/** One agent, or undefined when it has problems (all of them reported). */
function parseAgent(
  rawAgent: unknown,
  index: number,
  ctx: AgentsContext,
  unique: UniqueAcrossAgents,
  missingKeys: MissingModelKeys,
  stackFrontDoor: StackFrontDoor,
): AgentConfig | undefined {
  const { problems } = ctx;
  const at = `[${index}]`;
  const rawObj = (rawAgent && typeof rawAgent === "object" ? rawAgent : {}) as Record<string, unknown>;
  if (typeof rawObj.name === "string") unique.claim("name", rawObj.name, index, problems);

  const parsed = agentSchema.safeParse(rawAgent);
  if (!parsed.success) problems.addZod(ns("agents"), at, parsed.error, agentKnownKeys);
  // The fields that are valid on their own still get the checks below, so all problems show.
  const a: Partial<AgentFields> = parsed.success ? parsed.data : salvageAgentFields(rawObj);

  const characterFile = typeof rawObj.characterFile === "string" ? rawObj.characterFile : undefined;
  const character =
    characterFile && !nodePath.isAbsolute(characterFile)
      ? loadAgentCharacter(characterFile, at, ctx.baseDir, ctx.readFile, problems)
      : undefined;

  const domain =
    typeof rawObj.domain === "string" ? agentDomain(rawObj.domain, index, unique, problems) : undefined;
  checkAgentEnv(a.env ?? {}, at, problems);
  const frontDoor = resolveFrontDoor(stackFrontDoor, rawObj.frontDoor, {
    hasDomain: domain !== undefined,
    agentPath: at,
    env: a.env ?? {},
  });
  for (const p of frontDoor.problems) problems.add(ns(p.key), p.path, p.message);
  ctx.warnings.push(...frontDoor.warnings);

  const provider = a.modelProvider;
  if (provider) {
    missingKeys.note(ctx.values, ctx.secrets.modelKeys, provider, index);
    checkModelBaseUrl(provider, a.modelBaseUrl, at, problems);
    if (character && characterFile)
      checkCharacterForProvider(character, characterFile, a, provider, index, problems, ctx.warnings);
  }
  if (a.source?.type === "build") checkBuildSource(a.source, index, ctx);
  const placement =
    typeof rawObj.name === "string"
      ? placeAgent(
          { name: rawObj.name, server: a.server, moveFrom: a.moveFrom },
          index,
          ctx.servers,
          ctx.databaseMode,
          problems,
        )
      : {};

  // Any problem fails the whole parse; an agent is built only from fully valid fields.
  if (!parsed.success || !character) return undefined;
  const d = parsed.data;
  const agent: AgentConfig = {
    name: d.name,
    characterFile: d.characterFile,
    character,
    source: d.source,
    size: d.size,
    limits: { ...SIZE_LIMITS[d.size], ...stripUndefined(d.limits ?? {}) },
    modelProvider: d.modelProvider,
    logLevel: d.logLevel,
    env: d.env,
    smokeTest: d.smokeTest,
    running: d.running,
    rollback: d.rollback ?? ctx.rollbackDefault,
  };
  if (domain) agent.domain = domain;
  if (frontDoor.value) agent.frontDoor = frontDoor.value;
  if (d.modelBaseUrl !== undefined) agent.modelBaseUrl = d.modelBaseUrl;
  if (placement.server) agent.server = placement.server;
  if (placement.placed) agent.placed = placement.placed;
  if (placement.moveFrom) agent.moveFrom = placement.moveFrom;
  return agent;
}

/** The normalised domain, unique across the stack. */
function agentDomain(
  value: string,
  index: number,
  unique: UniqueAcrossAgents,
  problems: Problems,
): string | undefined {
  const checked = checkDomain(value);
  if ("problem" in checked) {
    problems.add(ns("agents"), `[${index}].domain`, checked.problem);
    return undefined;
  }
  unique.claim("domain", checked.domain, index, problems);
  return checked.domain;
}

/** The build context and Dockerfile must exist; pushing to a registry needs registryPassword. */
function checkBuildSource(
  source: Extract<AgentFields["source"], { type: "build" }>,
  index: number,
  { baseDir, exists, values, secrets, problems }: AgentsContext,
): void {
  const at = `[${index}]`;
  const context = nodePath.resolve(baseDir, source.context);
  if (!exists(context)) {
    problems.add(
      ns("agents"),
      `${at}.source.context`,
      `${source.context} does not exist under the project root`,
    );
  } else if (!exists(nodePath.resolve(context, source.dockerfile))) {
    problems.add(
      ns("agents"),
      `${at}.source.dockerfile`,
      `${nodePath.join(source.context, source.dockerfile)} does not exist`,
    );
  }
  if (source.registry && !secrets.registryPassword && values.raw.registryPassword === undefined) {
    problems.add(
      ns("registryPassword"),
      "",
      `is required because agents[${index}] pushes to ${source.registry.server} — pulumi config set --secret ${ns("registryPassword")} <token>`,
    );
  }
}
