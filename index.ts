// The program: read and validate the stack config once, then build the project, the database
// and one ElizaAgent per configured agent, and export what users need to reach them.
import { resolve } from "node:path";
import { Project } from "@eliza-coolify/coolify";
import * as pulumi from "@pulumi/pulumi";
import { ElizaAgent } from "./components/agent";
import { AgentDatabase } from "./components/database";
import { type AgentConfig, readStackConfig, StackConfigError } from "./lib/config";

/** What an agent runs, as config says it: a change is one the backup before a change watches. */
function imageReference(agent: AgentConfig): string {
  const src = agent.source;
  if (src.type === "image") return src.image;
  if (src.type === "git") return `${src.repository}#${src.branch}`;
  // A build's digest is known only once built; its recipe stands for it here.
  return `build:${src.imageName}:${src.context}/${src.dockerfile}`;
}

// dist/index.js -> the project root, where character files and build contexts are.
const config = readConfigOrStop(resolve(__dirname, ".."));

/**
 * A bad stack config is the user's to fix, not a crash: RunError makes Pulumi print only the
 * message (the list of problems), without the JS stack and the dump of the error's fields it
 * prints for an unhandled exception.
 */
function readConfigOrStop(root: string): ReturnType<typeof readStackConfig> {
  try {
    return readStackConfig(root);
  } catch (e) {
    if (e instanceof StackConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

const project = new Project(
  "project",
  {
    name: config.project.name,
    description: config.project.description,
    environment: config.project.environment,
    // With several servers listed, the project's server is the database's (or the first).
    serverUuid: config.databaseServer?.uuid ?? config.servers[0]?.uuid ?? config.server.uuid,
    adopt: config.adopt,
  },
  { protect: config.protect },
);

const database = new AgentDatabase("agents-db", {
  config: config.database,
  project,
  server: config.databaseServer,
  destinationUuid: config.server.destinationUuid,
  adopt: config.adopt,
  backups: config.backups,
  agentImages: Object.fromEntries(config.agents.map((a) => [a.name, imageReference(a)])),
  backupStorageName: `${config.project.name} backups`,
});

const agents = config.agents.map(
  (agent) =>
    new ElizaAgent(agent.name, {
      agent,
      project,
      destinationUuid: config.server.destinationUuid,
      databaseUrl: database.url,
      modelKey: config.modelKeys[agent.modelProvider],
      registryPassword: config.registryPassword,
      adopt: config.adopt,
      // Each server's proxy may be reached at its own address (servers[].connectTo).
      network: { ...config.network, connectTo: agent.server?.connectTo ?? config.network.connectTo },
      // A destroy that stops at the protected database has deleted the agents by then; the salt
      // that encrypts their stored secrets must survive with the database.
      protectSecretSalt: config.database.mode === "full" ? config.database.protect : config.protect,
      dependsOnBeforeDeploy: database.beforeDeploy,
    }),
);

export const projectUuid = project.uuid;
export const databaseMode = database.mode;
// Pulumi makes each property of the module's exports a stack output, and warns on every run
// about one that is undefined: a slim stack's database is not Coolify's, so it has no uuid output.
if (database.mode === "full") module.exports.databaseUuid = database.uuid;
if (config.backups.enabled) module.exports.databaseBackupUuid = database.backupUuid;
const byName = <T>(pick: (a: ElizaAgent) => T) =>
  Object.fromEntries(agents.map((a, i) => [config.agents[i]?.name as string, pick(a)]));

/** Per agent: its URL, ids, the smoke test's reply, and its server when several are listed. */
export const agentOutputs = byName((a) => ({
  url: a.url,
  applicationUuid: a.applicationUuid,
  deploymentUuid: a.deploymentUuid,
  smokeTestReply: a.smokeTestReply,
  ...(a.server ? { server: a.server } : {}),
}));
export const agentUrls = byName((a) => a.url);
/** Per agent: the X-API-KEY for its API. A secret: `pulumi stack output --show-secrets agentApiTokens`. */
export const agentApiTokens = pulumi.secret(byName((a) => a.apiToken));
export const stack = pulumi.getStack();
