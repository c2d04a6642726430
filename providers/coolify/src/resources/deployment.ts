import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CoolifyClient } from "../client/client";
import { isNotFound } from "../client/errors";
import { caCertificateSchema, connectToSchema, fetchVia } from "../provider/connect-to";
import { coolifyClient } from "../provider/context";
import { deployGates } from "../provider/deploy-gate";
import { DeployFailure, diagnose, whereToLook } from "../provider/diagnostics";
import { canonicalJson, changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { isLostResponse } from "../provider/lookup";
import { maskSecrets } from "../provider/mask";
import { tell } from "../provider/notify";
import { now, pollDelay, pollScale, sleep } from "../provider/poll";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";
import { DEFAULT_SMOKE_MESSAGE, runSmokeTest } from "../smoke-test";

const ImageSchema = z.object({ name: z.string().min(1), tag: z.string().min(1) });
type Image = z.infer<typeof ImageSchema>;

const SmokeTestSchema = z.object({
  url: z
    .string()
    .url()
    .regex(/^https?:\/\//, "an http:// or https:// URL"),
  agentName: z.string().min(1),
  message: z.string().min(1).default(DEFAULT_SMOKE_MESSAGE),
  timeoutSeconds: z.number().int().min(10).max(1800).default(300),
  connectTo: connectToSchema,
  caCertificate: caCertificateSchema,
});

export const DeploymentInputsSchema = z.object({
  applicationUuid: z.string().min(1),
  /** The application's server: its deployment queue is the one to stay under (deploy-gate.ts). */
  serverUuid: z.string().min(1).optional(),
  /** Any change here deploys again: an image tag, the env digest, the domains, ... */
  triggers: z.record(z.string(), z.string()).default({}),
  /** Rebuild without the build cache. */
  force: z.boolean().default(false),
  /** Upper bound for the deployment plus the health check, in seconds. */
  timeoutSeconds: z.number().int().min(30).max(7200).default(900),
  /**
   * How long the application may report unhealthy before the deployment counts as failed.
   * Docker reports unhealthy only after the health check's retries failed in a row, so this is
   * the time left for it to recover (one passing check), not the start period.
   */
  unhealthyGraceSeconds: z.number().int().min(0).max(7200).default(120),
  /** false stops the application (no deployment, nothing lost); true starts it again. */
  running: z.boolean().default(true),
  /**
   * When an update's deployment fails, ends unhealthy or fails the smoke test, put the last
   * version that passed back (its image, or its commit for git sources) before failing.
   */
  rollback: z.boolean().default(false),
  /** The image Coolify must run, for image sources: set before each deployment, rolled back to. */
  image: ImageSchema.optional(),
  /** The chat check an update's deployment must pass, once healthy, to count as a version that passed. */
  smokeTest: SmokeTestSchema.optional(),
  /** ELIZA_SERVER_AUTH_TOKEN for the smoke test. A secret input; never in the outputs. */
  smokeTestToken: z.string().optional(),
  /** Secret values masked wherever a failure quotes a log. A secret input; never in the outputs. */
  maskValues: z.array(z.string()).default([]),
  /** How many lines of each log a failure's error quotes (0: none, and no log request). */
  logLines: z.number().int().min(0).max(1000).default(30),
});
export type DeploymentInputs = z.infer<typeof DeploymentInputsSchema>;

export interface DeploymentArgs {
  applicationUuid: pulumi.Input<string>;
  /** The application's server, whose deployment queue this deployment waits in. */
  serverUuid?: pulumi.Input<string>;
  triggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  force?: pulumi.Input<boolean>;
  timeoutSeconds?: pulumi.Input<number>;
  unhealthyGraceSeconds?: pulumi.Input<number>;
  running?: pulumi.Input<boolean>;
  rollback?: pulumi.Input<boolean>;
  image?: pulumi.Input<{ name: pulumi.Input<string>; tag: pulumi.Input<string> }>;
  smokeTest?: pulumi.Input<{
    url: pulumi.Input<string>;
    agentName: pulumi.Input<string>;
    message?: pulumi.Input<string>;
    timeoutSeconds?: pulumi.Input<number>;
    connectTo?: pulumi.Input<string>;
    caCertificate?: pulumi.Input<string>;
  }>;
  smokeTestToken?: pulumi.Input<string>;
  maskValues?: pulumi.Input<pulumi.Input<string>[]>;
  logLines?: pulumi.Input<number>;
}

const TERMINAL = new Set(["finished", "failed", "cancelled-by-user"]);

/** A deployment that ended running:healthy (and answered chat when it was asked to). */
interface Passed {
  deploymentUuid: string;
  status: string;
  applicationStatus: string;
  seconds: number;
  /** The deployment record's commit: the built sha for git sources, "HEAD" for images. */
  commit: string | undefined;
  smokeTestReply?: string;
  /** The deployment as last read (its link, for a smoke test failure's message). */
  record: Record<string, unknown>;
}

const showImage = (i: Image) => `${i.name}:${i.tag}`;
const sameImage = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/**
 * POST /deploy, reconciled when its answer is lost (a dropped connection, a timeout): Coolify
 * may have queued the deployment anyway. The application's newest deployments are read; one
 * newer than the last deployment this resource recorded (`previous`) that is still queued or
 * running is the one the request started, and it is waited on instead of deploying twice. A
 * finished one is not taken: nothing tells it apart from a deployment started by hand before
 * the request, which would not carry the change being deployed. Then the deploy is sent again:
 * at worst the application is deployed once more with the same settings (and a twin of a queued
 * one is refused by Coolify itself, which skips a deploy of a commit already queued).
 */
async function deployOnce(
  client: CoolifyClient,
  i: DeploymentInputs,
  previous: string | undefined,
): Promise<{ deploymentUuid: string }> {
  try {
    return await client.deploy(i.applicationUuid, { force: i.force });
  } catch (e) {
    if (!isLostResponse(e)) throw e;
    const { deployments } = await client.listApplicationDeployments(i.applicationUuid, { take: 5 });
    const known = deployments.findIndex((d) => d.deployment_uuid === previous);
    const newest = (known < 0 ? deployments : deployments.slice(0, known))[0];
    if (newest && (newest.status === "queued" || newest.status === "in_progress")) {
      tell(
        `the answer to POST /deploy for application ${i.applicationUuid} was lost; Coolify had started ` +
          `deployment ${newest.deployment_uuid} (${newest.status}), which is waited on instead of deploying twice.`,
      );
      return { deploymentUuid: newest.deployment_uuid };
    }
    tell(
      `the answer to POST /deploy for application ${i.applicationUuid} was lost and Coolify has no deployment ` +
        "from it under way; deploying once more.",
    );
    return await client.deploy(i.applicationUuid, { force: i.force });
  }
}

/**
 * Waits for a deployment queued by `queue` to finish AND for the application to report
 * running:healthy: Coolify marks a deployment finished when the container starts, not when it
 * serves. Polls on a widening schedule to spare the rate limit. Throws DeployFailure.
 */
async function waitHealthy(
  client: CoolifyClient,
  i: DeploymentInputs,
  queue: () => Promise<string>,
  lastSeconds?: number,
): Promise<Passed> {
  // The last deployment of this application took about this long: look first just after it.
  const expectedMs = lastSeconds !== undefined && lastSeconds > 0 ? lastSeconds * 1000 : undefined;
  const delay = (attempt: number) => pollDelay(attempt, pollScale(), expectedMs);
  // A place in the server's deployment queue, held until the deployment leaves it (deploy-gate.ts).
  const leaveQueue = await deployGates.forServer(i.serverUuid).enter();
  // The timeout bounds the deployment, not the wait for a place in the queue: behind a fleet's
  // other deployments that wait can be longer than any one deployment.
  const started = now();
  const deadline = started + i.timeoutSeconds * 1000 * pollScale();
  let deploymentUuid: string;
  let attempt = 0;
  let deployment: Record<string, unknown> & { status: string };
  try {
    deploymentUuid = await queue();
    for (;;) {
      await sleep(delay(attempt++));
      deployment = await client.getDeployment(deploymentUuid);
      if (TERMINAL.has(deployment.status)) break;
      if (now() > deadline) {
        throw new DeployFailure(
          "timeout",
          `is still ${deployment.status} after ${i.timeoutSeconds} s. It goes on in Coolify; look at it there, or raise timeoutSeconds`,
          deploymentUuid,
          deployment,
        );
      }
    }
  } finally {
    leaveQueue();
  }
  if (deployment.status !== "finished") {
    throw new DeployFailure("failed", deployment.status, deploymentUuid, deployment);
  }
  // A finished deployment is not proof: wait for the container's health check.
  const grace = i.unhealthyGraceSeconds * 1000 * pollScale();
  let unhealthySince: number | undefined;
  let status = (await client.getApplication(i.applicationUuid)).status;
  while (!status.startsWith("running:healthy")) {
    unhealthySince = status.includes("unhealthy") ? (unhealthySince ?? now()) : undefined;
    // exited means the container stopped; unhealthy may still recover, for a while.
    const givenUp = unhealthySince !== undefined && now() - unhealthySince > grace;
    if (status.startsWith("exited") || givenUp || now() > deadline) {
      const after = givenUp
        ? ` for ${i.unhealthyGraceSeconds} s`
        : status.startsWith("exited")
          ? ""
          : ` ${i.timeoutSeconds} s after deploying`;
      throw new DeployFailure(
        "unhealthy",
        `finished, but the application reports "${status}" instead of running:healthy${after}. Check its ` +
          "health check (path, port, start period) and the application's log below",
        deploymentUuid,
        deployment,
      );
    }
    await sleep(Math.min(delay(attempt++), Math.max(1, grace / 4)));
    status = (await client.getApplication(i.applicationUuid)).status;
  }
  return {
    deploymentUuid,
    status: deployment.status,
    applicationStatus: status,
    seconds: Math.round((now() - started) / 1000),
    commit: typeof deployment.commit === "string" ? deployment.commit : undefined,
    record: deployment,
  };
}

/** The agent answers chat, or a DeployFailure of kind "smoke test" for this deployment. */
async function smokeTest(i: DeploymentInputs, passed: Passed): Promise<string> {
  const s = i.smokeTest;
  if (!s) return "";
  try {
    const r = await runSmokeTest({
      baseUrl: s.url,
      authToken: i.smokeTestToken,
      agentName: s.agentName,
      message: s.message,
      timeoutMs: Math.max(1_000, s.timeoutSeconds * 1000 * pollScale()),
      fetchImpl: fetchVia(s),
    });
    return r.reply.slice(0, 200);
  } catch (e) {
    throw new DeployFailure(
      "smoke test",
      `is running:healthy but failed the smoke test: ${(e as Error).message}`,
      passed.deploymentUuid,
      passed.record,
    );
  }
}

/**
 * The smoke test runs inside an update only to decide a rollback (rollback on), and only when the
 * agent's URL stays the same: a new domain may not have its certificate yet, which the TLS check
 * after the deployment waits for. Otherwise the separate AgentSmokeTest checks chat.
 */
function smokeTestApplies(olds: Props, i: DeploymentInputs): boolean {
  const before = (olds.smokeTest as { url?: string } | undefined)?.url;
  return i.rollback && i.smokeTest !== undefined && before === i.smokeTest.url;
}

/** The version to put back: the last image (or git commit) that passed, if another runs now. */
function rollbackTarget(
  olds: Props,
  i: DeploymentInputs,
  f: DeployFailure,
): { image: Image } | { commit: string } | undefined {
  if (i.image) {
    const good = olds.lastGoodImage as Image | undefined;
    return good && !sameImage(good, i.image) ? { image: good } : undefined;
  }
  const good = olds.lastGoodCommit;
  const tried = f.deployment?.commit;
  return typeof good === "string" && good !== "HEAD" && good !== tried ? { commit: good } : undefined;
}

/**
 * Queues a deployment of what Coolify has stored (POST /deploy reports a full queue, /start does
 * not); `previous` is the last deployment recorded, for a lost answer (deployOnce).
 */
const deployNow = (client: CoolifyClient, i: DeploymentInputs, previous?: unknown) => async () =>
  (await deployOnce(client, i, typeof previous === "string" ? previous : undefined)).deploymentUuid;

async function setImage(client: CoolifyClient, appUuid: string, image: Image): Promise<void> {
  await client.updateApplication(appUuid, {
    docker_registry_image_name: image.name,
    docker_registry_image_tag: image.tag,
  });
}

/** Puts `target` back and proves it: deployed, running:healthy, answering chat when asked. */
async function rollBack(
  client: CoolifyClient,
  i: DeploymentInputs,
  target: { image: Image } | { commit: string },
  checkChat: boolean,
): Promise<Passed> {
  let queue: () => Promise<string>;
  if ("image" in target) {
    // Coolify's rollback endpoint redeploys a dockerimage app's stored tag whatever commit it is
    // given: the stored image goes back first, then an ordinary deployment runs it.
    await setImage(client, i.applicationUuid, target.image);
    queue = deployNow(client, i);
  } else {
    queue = async () => {
      const r = await client.rollbackApplication(i.applicationUuid, target.commit);
      if (!r.deploymentUuid) throw new Error(`Coolify did not queue the rollback deployment (${r.message}).`);
      return r.deploymentUuid;
    };
  }
  const passed = await waitHealthy(client, i, queue);
  if (checkChat) passed.smokeTestReply = await smokeTest(i, passed);
  return passed;
}

function outputs(i: DeploymentInputs, fields: Props): Props {
  // The token and the values to mask are inputs only: they never reach the outputs in state.
  const { smokeTestToken: _token, maskValues: _mask, ...rest } = i;
  return { ...rest, ...fields };
}

/** The outputs of a deployment that passed: it is now the version a later failure rolls back to. */
function passedOutputs(i: DeploymentInputs, p: Passed): Props {
  return outputs(i, {
    deploymentUuid: p.deploymentUuid,
    status: p.status,
    applicationStatus: p.applicationStatus,
    seconds: p.seconds,
    commit: p.commit,
    lastGoodImage: i.image,
    lastGoodCommit: i.image ? undefined : p.commit,
    smokeTestReply: p.smokeTestReply,
  });
}

/** What the user reads when a deployment did not pass, whether or not it was rolled back. */
function failureMessage(
  client: CoolifyClient,
  i: DeploymentInputs,
  f: DeployFailure,
  diagnostics: string,
  rollback: string,
): string {
  const head = maskSecrets(
    `Deployment ${f.deploymentUuid ?? "(not queued)"} of application ${i.applicationUuid} ${f.what}.`,
    i.maskValues,
  );
  return [head, rollback, diagnostics, whereToLook(client, i.applicationUuid, f)].filter(Boolean).join("\n");
}

/** Deploys an update; on a failure rolls back when asked to and possible, then throws. */
async function deployUpdate(client: CoolifyClient, olds: Props, i: DeploymentInputs): Promise<Props> {
  const lastSeconds = typeof olds.seconds === "number" ? olds.seconds : undefined;
  const checkChat = smokeTestApplies(olds, i);
  try {
    // Coolify's stored image may not be the declared one: an earlier rollback put the old one
    // back while the Application's state still says the new one. One PATCH per image change.
    if (i.image && olds.image !== undefined && !sameImage(olds.image, i.image)) {
      await setImage(client, i.applicationUuid, i.image);
    }
    const passed = await waitHealthy(client, i, deployNow(client, i, olds.deploymentUuid), lastSeconds);
    if (checkChat) passed.smokeTestReply = await smokeTest(i, passed);
    return passedOutputs(i, passed);
  } catch (e) {
    if (!(e instanceof DeployFailure)) throw e;
    const f = e;
    // Read the logs now: a rollback replaces the container that printed them.
    const diagnostics = await diagnose(client, f, {
      applicationUuid: i.applicationUuid,
      lines: i.logLines,
      secrets: i.maskValues,
    });
    const cancelled = f.deployment?.status === "cancelled-by-user";
    const target = f.kind === "timeout" || cancelled ? undefined : rollbackTarget(olds, i, f);
    if (!i.rollback || !target) {
      const why = !i.rollback
        ? "Automatic rollback is off for it (`rollback: true` on the agent, or eliza-coolify:rollback, turns it on)."
        : f.kind === "timeout"
          ? "Not rolled back: the deployment is still running in Coolify."
          : cancelled
            ? "Not rolled back: it was cancelled in Coolify."
            : "Not rolled back: no other version that passed is recorded (the image or commit did not change, or none passed yet).";
      throw new Error(failureMessage(client, i, f, diagnostics, why));
    }
    const what = "image" in target ? `image ${showImage(target.image)}` : `commit ${target.commit}`;
    tell(
      `deployment ${f.deploymentUuid} of application ${i.applicationUuid} ${f.kind === "failed" ? "failed" : `did not pass (${f.kind})`}; rolling back to ${what}.`,
    );
    let rollbackLine: string;
    try {
      const back = await rollBack(client, i, target, checkChat);
      rollbackLine =
        `Rolled back to ${what}: deployment ${back.deploymentUuid} is ${back.applicationStatus}` +
        `${checkChat ? " and answered the smoke test" : ""}. State keeps the version that runs, so the next ` +
        "`pulumi up` tries the failed change again: fix it, or declare the version that runs.";
    } catch (r) {
      const rf = r instanceof DeployFailure ? r : undefined;
      rollbackLine = maskSecrets(
        `Rolling back to ${what} failed too: ${rf ? `deployment ${rf.deploymentUuid ?? "(not queued)"} ${rf.what}` : (r as Error).message}. ` +
          "Look at the application in Coolify now; it may not be serving.",
        i.maskValues,
      );
    }
    throw new Error(failureMessage(client, i, f, diagnostics, rollbackLine));
  }
}

/** Deploys a new application: nothing to roll back to, so a failure only says why. */
async function deployFirst(client: CoolifyClient, i: DeploymentInputs): Promise<Props> {
  try {
    return passedOutputs(i, await waitHealthy(client, i, deployNow(client, i)));
  } catch (e) {
    if (!(e instanceof DeployFailure)) throw e;
    const diagnostics = await diagnose(client, e, {
      applicationUuid: i.applicationUuid,
      lines: i.logLines,
      secrets: i.maskValues,
    });
    throw new Error(failureMessage(client, i, e, diagnostics, ""));
  }
}

/**
 * Stops the application and waits until Coolify reports it exited. Stop is a queued job that
 * removes the containers (volumes stay); the images are kept (no docker_cleanup), so a later
 * rollback still finds them.
 */
async function stopAndWait(client: CoolifyClient, i: DeploymentInputs): Promise<string> {
  await client.stopApplication(i.applicationUuid, { dockerCleanup: false });
  const deadline = now() + i.timeoutSeconds * 1000 * pollScale();
  for (let attempt = 0; ; attempt++) {
    await sleep(pollDelay(attempt, pollScale()));
    const status = (await client.getApplication(i.applicationUuid)).status;
    if (status.startsWith("exited")) return status;
    if (now() > deadline) {
      throw new Error(
        `Application ${i.applicationUuid} is still "${status}" ${i.timeoutSeconds} s after Coolify was asked to ` +
          "stop it. A deployment still running brings containers back: look at the application in Coolify.",
      );
    }
  }
}

/** Outputs while stopped: what last ran stays recorded; new settings are kept for the next start. */
function stoppedOutputs(olds: Props, i: DeploymentInputs, applicationStatus: string): Props {
  return outputs(i, {
    deploymentUuid: olds.deploymentUuid ?? "",
    status: olds.status ?? "",
    applicationStatus,
    seconds: olds.seconds,
    commit: olds.commit,
    lastGoodImage: olds.lastGoodImage,
    lastGoodCommit: olds.lastGoodCommit,
  });
}

/** Keys whose change means something must happen in Coolify: a deployment, a stop or a start. */
const ACTION_KEYS = ["applicationUuid", "triggers", "force", "running", "image"];

/** Old state written before `running` and `image` existed counts as running, image unknown. */
function withDefaults(olds: Props, news: Props): Props {
  return {
    ...olds,
    running: olds.running ?? true,
    image: olds.image === undefined ? news.image : olds.image,
  };
}

export const deploymentImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(DeploymentInputsSchema, news);
  },

  async diff(_id, olds, news) {
    // How to deploy (rollback, the smoke test, log lines, the timeout) changes nothing in
    // Coolify: such a change alone is no update; the next one records it.
    const changed = changedKeys(withDefaults(olds, news), news, ACTION_KEYS);
    return { changes: changed.length > 0, replaces: replacedKeys(olds, news, ["applicationUuid"]) };
  },

  async create(raw) {
    const i = raw as unknown as DeploymentInputs;
    if (!i.running) {
      // Declared stopped from the start: a new application has never run, so nothing to do.
      return { id: `not-deployed-${i.applicationUuid}`, outs: stoppedOutputs({}, i, "exited") };
    }
    const outs = await deployFirst(coolifyClient(), i);
    return { id: String(outs.deploymentUuid), outs };
  },

  async read(id, props) {
    if (!props.deploymentUuid) return { id, props };
    try {
      const d = await coolifyClient().getDeployment(String(props.deploymentUuid));
      return { id, props: { ...props, status: d.status } };
    } catch (e) {
      // Coolify prunes old deployments: a missing record is not a missing deployment, and
      // dropping it would redeploy on the next up.
      if (isNotFound(e)) return { id, props };
      throw e;
    }
  },

  async update(_id, olds, news) {
    const i = news as unknown as DeploymentInputs;
    const client = coolifyClient();
    const wasRunning = olds.running !== false;
    if (!i.running) {
      // Stopped: a stop when it ran; other changes are recorded and deployed by the next start.
      const status = wasRunning ? await stopAndWait(client, i) : String(olds.applicationStatus ?? "exited");
      return { outs: stoppedOutputs(olds, i, status) };
    }
    const mustDeploy = !wasRunning || changedKeys(withDefaults(olds, news), news, ACTION_KEYS).length > 0;
    if (!mustDeploy) return { outs: { ...olds, ...outputs(i, {}) } };
    return { outs: await deployUpdate(client, olds, i) };
  },

  async delete() {
    // A deployment is an event, not an object: nothing to delete.
  },
};

/**
 * The application running the declared version: a deployment whenever the triggers change,
 * waited on until running:healthy (and, on updates, answering chat); rolled back to the last
 * version that passed when it does not get there (with `rollback`); or the application stopped
 * (`running: false`) and started again.
 */
export class Deployment extends CoolifyResource {
  declare readonly deploymentUuid: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly applicationStatus: pulumi.Output<string>;
  /** The last image that passed (image sources): what runs, and what a failure rolls back to. */
  declare readonly lastGoodImage: pulumi.Output<{ name: string; tag: string } | undefined>;
  /** The last commit that passed (git sources). */
  declare readonly lastGoodCommit: pulumi.Output<string | undefined>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      smokeTestToken: args.smokeTestToken === undefined ? undefined : pulumi.secret(args.smokeTestToken),
      maskValues: args.maskValues === undefined ? undefined : pulumi.secret(args.maskValues),
      deploymentUuid: undefined,
      status: undefined,
      applicationStatus: undefined,
      lastGoodImage: undefined,
      lastGoodCommit: undefined,
    };
    super("Deployment", name, props, opts);
  }
}
