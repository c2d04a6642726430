import { createHash } from "node:crypto";
import {
  AgentSmokeTest,
  Application,
  Deployment,
  EnvVars,
  PersistentStorage,
  type Project,
  RandomSecret,
} from "@eliza-coolify/coolify";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { AgentConfig } from "../lib/config";
import { parseImageReference } from "../lib/config";
import { proxyOptions } from "../lib/front-door";
import {
  AGENT_DATA_DIR,
  AGENT_PORT,
  AGENT_STOP_GRACE_PERIOD_S,
  type AgentSecrets,
  agentSecretEnv,
  plainAgentEnv,
} from "./agent-env";
import { TlsDomain } from "./tls-domain";

/** How to reach the agent from where `pulumi up` runs, for the smoke test and the TLS check. */
export interface AgentNetworkOptions {
  /** "host:port" to connect to instead of the domain's address (one server behind DNS; tests). */
  connectTo?: string;
  /** A PEM CA certificate to trust besides the system ones (a private CA; tests). */
  caCertificate?: string;
}

export interface ElizaAgentArgs {
  agent: AgentConfig;
  project: Project;
  /** The one-server form's destination; with a listed server, its own destination is used. */
  destinationUuid?: pulumi.Input<string>;
  /** postgres:// URL (secret) of a database with pgvector. */
  databaseUrl: pulumi.Input<string>;
  /** The model provider's API key (secret); none for ollama. */
  modelKey?: pulumi.Input<string>;
  /** For `build` sources that push to a registry. */
  registryPassword?: pulumi.Input<string>;
  adopt?: boolean;
  network?: AgentNetworkOptions;
  /**
   * Protect SECRET_SALT from deletion. ElizaOS encrypts the secrets it stores in the database
   * with it, so a new salt makes them unreadable: protect it wherever the database is kept.
   */
  protectSecretSalt?: boolean;
  /** What the deployment waits for: the database's backup before a change, and its restart. */
  dependsOnBeforeDeploy?: pulumi.Resource[];
}

/**
 * One ElizaOS agent on Coolify: its application, a persistent storage for its data directory,
 * its environment (secrets included), a deployment that waits for running:healthy (rolled back
 * to the last version that passed when it does not get there, with `rollback`), an optional TLS
 * domain proven to serve a valid certificate, and a smoke test that sends a chat message and
 * expects a reply. With `running: false` the application is stopped and neither check runs.
 */
export class ElizaAgent extends pulumi.ComponentResource {
  /** The public URL, or "" when the agent has no domain. */
  public readonly url: pulumi.Output<string>;
  public readonly applicationUuid: pulumi.Output<string>;
  public readonly deploymentUuid: pulumi.Output<string>;
  /** ELIZA_SERVER_AUTH_TOKEN: send it as X-API-KEY to call the agent's API (secret). */
  public readonly apiToken: pulumi.Output<string>;
  /** The agent's answer to the smoke test message, when a smoke test ran. */
  public readonly smokeTestReply: pulumi.Output<string | undefined>;
  /** The name of its server in eliza-coolify:servers; none in the one-server form. */
  public readonly server?: string;

  constructor(name: string, args: ElizaAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("eliza-coolify:index:ElizaAgent", name, {}, opts);
    const { agent } = args;

    const apiToken = new RandomSecret(`${name}-api-token`, { length: 48 }, { parent: this });
    const secretSalt = new RandomSecret(
      `${name}-secret-salt`,
      { length: 64 },
      { parent: this, protect: args.protectSecretSalt },
    );
    const image = imageSource(this, name, agent, args.registryPassword);
    const app = createApplication(this, name, args, image.source);
    const storage = createDataStorage(this, name, app);
    const secrets: AgentSecrets<pulumi.Input<string>> = {
      databaseUrl: args.databaseUrl,
      apiToken: apiToken.value,
      secretSalt: secretSalt.value,
      modelKey: args.modelKey,
    };
    const envVars = createEnvVars(this, name, args, app, secrets);
    const deployment = createDeployment(this, name, args, { app, envVars, storage, image, secrets });
    if (!agent.running) warnStopped(this, agent);
    // While stopped nothing answers: no certificate to check, no chat to test.
    const tls =
      agent.domain && agent.running
        ? new TlsDomain(`${name}-tls`, { url: agent.domain, deployment, ...args.network }, { parent: this })
        : undefined;
    const smoke = agent.running
      ? createSmokeTest(this, name, args, app, deployment, envVars, apiToken, tls)
      : undefined;

    this.url = app.url;
    this.applicationUuid = app.id;
    this.deploymentUuid = deployment.deploymentUuid;
    this.apiToken = pulumi.secret(apiToken.value);
    this.smokeTestReply = smoke ? smoke.reply : pulumi.output(undefined);
    this.server = agent.server?.name;
    this.registerOutputs({
      url: this.url,
      applicationUuid: this.applicationUuid,
      deploymentUuid: this.deploymentUuid,
      apiToken: this.apiToken,
      smokeTestReply: this.smokeTestReply,
    });
  }
}

type AppSource =
  | { type: "dockerimage"; image: pulumi.Input<string>; tag?: pulumi.Input<string> }
  | {
      type: "public";
      repository: string;
      branch: string;
      buildPack: "dockerfile";
      dockerfileLocation: string;
      baseDirectory: string;
    };

/** An image as Coolify stores it: a digest is name `<repo>@sha256` with the hex as the tag. */
type StoredImage = { name: string; tag: string };

function storedImage(reference: string): StoredImage {
  const ref = parseImageReference(reference);
  if (ref.digest) return { name: `${ref.name}@sha256`, tag: ref.digest.replace(/^sha256:/, "") };
  return { name: ref.name, tag: ref.tag ?? "latest" };
}

/**
 * What Coolify runs, a reference that changes whenever the image does (a deploy trigger), and
 * for prebuilt images the image the Deployment sets and rolls back to (git sources roll back
 * by commit instead).
 */
function imageSource(
  parent: pulumi.Resource,
  name: string,
  agent: AgentConfig,
  registryPassword: pulumi.Input<string> | undefined,
): { source: AppSource; ref: pulumi.Input<string>; image?: pulumi.Input<StoredImage> } {
  const src = agent.source;
  if (src.type === "image") {
    const ref = parseImageReference(src.image);
    const image = storedImage(src.image);
    return ref.digest
      ? { source: { type: "dockerimage", image: `${ref.name}@${ref.digest}` }, ref: src.image, image }
      : { source: { type: "dockerimage", image: ref.name, tag: ref.tag }, ref: src.image, image };
  }
  if (src.type === "git") {
    // Coolify clones and builds; it rebuilds on every deployment, so the ref is the branch.
    return {
      source: {
        type: "public",
        repository: src.repository,
        branch: src.branch,
        buildPack: "dockerfile",
        dockerfileLocation: src.dockerfileLocation,
        baseDirectory: src.baseDirectory,
      },
      ref: `${src.repository}#${src.branch}`,
    };
  }
  // build: docker builds and pushes here; Coolify pulls the pushed image by digest. The tag
  // only names who pushed it (never `latest`, which other pushes would move).
  const built = new docker.Image(
    `${name}-image`,
    {
      imageName: `${src.imageName}:eliza-coolify-${pulumi.getStack()}-${agent.name}`,
      build: {
        context: src.context,
        dockerfile: `${src.context}/${src.dockerfile}`,
        platform: "linux/amd64",
      },
      registry: src.registry
        ? { server: src.registry.server, username: src.registry.username, password: registryPassword }
        : undefined,
    },
    { parent },
  );
  return {
    source: { type: "dockerimage", image: built.repoDigest },
    ref: built.repoDigest,
    image: built.repoDigest.apply(storedImage),
  };
}

function createApplication(
  parent: pulumi.Resource,
  name: string,
  args: ElizaAgentArgs,
  source: AppSource,
): Application {
  const { agent } = args;
  return new Application(
    `${name}-app`,
    {
      projectUuid: args.project.id,
      environment: args.project.environment,
      // A listed server (eliza-coolify:servers), or the project's one server.
      serverUuid: agent.server?.uuid ?? args.project.serverUuid,
      destinationUuid: agent.server ? agent.server.destinationUuid : args.destinationUuid,
      serverName: agent.server?.name,
      moveFromServerUuid: agent.moveFrom?.uuid,
      name: agent.name,
      description: `ElizaOS agent ${agent.character.name}`,
      source,
      port: AGENT_PORT,
      // /health answers 200 only once an agent runs (503 with none), unlike /healthz.
      healthCheck: { path: "/health", interval: 10, timeout: 5, retries: 5, startPeriod: 60 },
      limits: agent.limits,
      stopGracePeriod: AGENT_STOP_GRACE_PERIOD_S,
      domains: agent.domain ? [agent.domain] : [],
      proxy: proxyOptions(agent.frontDoor),
      adopt: args.adopt,
    },
    { parent },
  );
}

/**
 * The agent's data directory on a docker volume, so a redeploy, a rollback or a new container
 * keeps uploads, knowledge and local files. Removed with the application: Coolify deletes an
 * application's volumes with it, so no request of its own on destroy.
 */
function createDataStorage(parent: pulumi.Resource, name: string, app: Application): PersistentStorage {
  return new PersistentStorage(
    `${name}-data`,
    { applicationUuid: app.id, name: "eliza-data", mountPath: AGENT_DATA_DIR },
    { parent, deletedWith: app },
  );
}

function createEnvVars(
  parent: pulumi.Resource,
  name: string,
  args: ElizaAgentArgs,
  app: Application,
  secretValues: AgentSecrets<pulumi.Input<string>>,
): EnvVars {
  const secrets = agentSecretEnv<pulumi.Input<string>>(args.agent, secretValues);
  return new EnvVars(
    `${name}-env`,
    {
      applicationUuid: app.id,
      variables: { ...plainAgentEnv(args.agent), ...secrets },
      // Coolify shows a locked value to nobody again, in the UI or the API.
      locked: Object.keys(secrets),
    },
    // Deleting the application deletes its variables: no request per variable on destroy.
    { parent, deletedWith: app },
  );
}

function createDeployment(
  parent: pulumi.Resource,
  name: string,
  args: ElizaAgentArgs,
  parts: {
    app: Application;
    envVars: EnvVars;
    storage: PersistentStorage;
    image: ReturnType<typeof imageSource>;
    secrets: AgentSecrets<pulumi.Input<string>>;
  },
): Deployment {
  const { agent } = args;
  const { app, envVars, storage, image, secrets } = parts;
  return new Deployment(
    `${name}-deployment`,
    {
      applicationUuid: app.id,
      serverUuid: app.serverUuid,
      // Every change that only a redeploy applies: image, environment, domains, limits, labels,
      // the storage's mount. The declared ones show in a preview; `settings` also moves when `up`
      // writes back an application setting that drifted (an image tag, limits or health check
      // edited in Coolify).
      triggers: {
        image: image.ref,
        env: envVars.digest,
        domains: app.fqdn,
        limits: `${agent.limits.memory}/${agent.limits.cpus}`,
        storage: pulumi.interpolate`${storage.volumeName}:${AGENT_DATA_DIR}`,
        settings: app.revision.apply((r) => String(r ?? 0)),
        ...(agent.frontDoor ? { proxyLabels: app.proxyLabels.apply(labelsDigest) } : {}),
      },
      running: agent.running,
      rollback: agent.rollback,
      image: image.image,
      // An update counts as a version that passed only once the agent answers chat.
      ...(agent.smokeTest && agent.domain
        ? {
            smokeTest: {
              url: app.url,
              agentName: agent.character.name,
              connectTo: args.network?.connectTo,
              caCertificate: args.network?.caCertificate,
            },
            smokeTestToken: secrets.apiToken,
          }
        : {}),
      // Masked wherever a failure quotes a log (a secret input: never in plaintext state).
      maskValues: [secrets.databaseUrl, secrets.apiToken, secrets.secretSalt, secrets.modelKey].filter(
        (v): v is pulumi.Input<string> => v !== undefined,
      ),
    },
    { parent, dependsOn: [envVars, storage, ...(args.dependsOnBeforeDeploy ?? [])] },
  );
}

function warnStopped(parent: pulumi.Resource, agent: AgentConfig): void {
  pulumi.log.warn(
    `agent ${agent.name} is stopped (running: false): changes to it are recorded but not deployed, and no ` +
      "TLS check or smoke test runs, until running is true again (which deploys them)",
    parent,
  );
}

function labelsDigest(labels: string[] | null): string {
  return createHash("sha256")
    .update((labels ?? []).join("\n"))
    .digest("hex")
    .slice(0, 16);
}

function createSmokeTest(
  parent: pulumi.Resource,
  name: string,
  args: ElizaAgentArgs,
  app: Application,
  deployment: Deployment,
  envVars: EnvVars,
  apiToken: RandomSecret,
  tls: TlsDomain | undefined,
): AgentSmokeTest | undefined {
  const { agent } = args;
  if (!agent.smokeTest) return undefined;
  if (!agent.domain) {
    pulumi.log.warn(
      `agent ${agent.name} has no domain, so no chat smoke test can reach it; give it a domain or set smokeTest: false`,
      parent,
    );
    return undefined;
  }
  return new AgentSmokeTest(
    `${name}-smoke-test`,
    {
      url: app.url,
      authToken: apiToken.value,
      agentName: agent.character.name,
      triggers: { deployment: deployment.deploymentUuid, env: envVars.digest },
      connectTo: args.network?.connectTo,
      caCertificate: args.network?.caCertificate,
    },
    { parent, dependsOn: tls ? [deployment, tls] : [deployment] },
  );
}
