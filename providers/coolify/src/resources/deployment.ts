import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CoolifyClient } from "../client/client";
import { isNotFound } from "../client/errors";
import { coolifyClient } from "../provider/context";
import { deployGates } from "../provider/deploy-gate";
import { changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { isLostResponse } from "../provider/lookup";
import { tell } from "../provider/notify";
import { now, pollDelay, pollScale, sleep } from "../provider/poll";
import { makeShim } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

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
});
export type DeploymentInputs = z.infer<typeof DeploymentInputsSchema>;

export interface DeploymentArgs {
  applicationUuid: pulumi.Input<string>;
  /** The application's server, whose deployment queue this deployment waits in. */
  serverUuid?: pulumi.Input<string>;
  triggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  force?: pulumi.Input<boolean>;
  timeoutSeconds?: pulumi.Input<number>;
}

const TERMINAL = new Set(["finished", "failed", "cancelled-by-user"]);

function logTail(deployment: Record<string, unknown>, lines = 20): string {
  const raw = deployment.logs;
  if (typeof raw !== "string" || !raw) {
    return "(the deployment log is hidden: a token with read:sensitive or root shows it here)";
  }
  let entries: string[];
  try {
    // Coolify stores the log as a JSON-encoded array of {output, type, ...} entries (notes 4.8).
    const parsed = JSON.parse(raw) as { output?: string; hidden?: boolean }[];
    entries = parsed.filter((e) => !e.hidden && e.output).map((e) => String(e.output));
  } catch {
    entries = raw.split("\n");
  }
  return entries.slice(-lines).join("\n");
}

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
 * Deploys and waits until the deployment has finished AND the application reports
 * running:healthy: Coolify marks a deployment finished when the container starts, not when it
 * serves (notes 4.8). Polls on a widening schedule to spare the rate limit.
 */
async function deployAndWait(
  client: CoolifyClient,
  i: DeploymentInputs,
  last: { seconds?: number; deploymentUuid?: string } = {},
): Promise<Props> {
  const lastSeconds = last.seconds;
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
    ({ deploymentUuid } = await deployOnce(client, i, last.deploymentUuid));
    for (;;) {
      await sleep(delay(attempt++));
      deployment = await client.getDeployment(deploymentUuid);
      if (TERMINAL.has(deployment.status)) break;
      if (now() > deadline) {
        throw new Error(
          `Deployment ${deploymentUuid} of application ${i.applicationUuid} is still ${deployment.status} after ` +
            `${i.timeoutSeconds} s. It goes on in Coolify; look at it there, or raise timeoutSeconds.\n${logTail(deployment)}`,
        );
      }
    }
  } finally {
    leaveQueue();
  }
  if (deployment.status !== "finished") {
    throw new Error(
      `Deployment ${deploymentUuid} of application ${i.applicationUuid} ${deployment.status}. Last lines of its log:\n` +
        logTail(deployment),
    );
  }
  // A finished deployment is not proof: wait for the container's health check.
  let status = (await client.getApplication(i.applicationUuid)).status;
  while (!status.startsWith("running:healthy")) {
    // exited means the container stopped; unhealthy may still recover until the deadline.
    if (status.startsWith("exited") || (status.includes("unhealthy") && now() > deadline)) {
      throw new Error(
        `Application ${i.applicationUuid} deployed (deployment ${deploymentUuid}) but reports "${status}" instead of ` +
          "running:healthy. Check its health check path and port, and its logs in Coolify.",
      );
    }
    if (now() > deadline) {
      throw new Error(
        `Application ${i.applicationUuid} is "${status}" ${i.timeoutSeconds} s after deploying; it never became ` +
          "running:healthy. Check the health check (path, port, start period) and the container logs in Coolify.",
      );
    }
    await sleep(delay(attempt++));
    status = (await client.getApplication(i.applicationUuid)).status;
  }
  return {
    ...i,
    deploymentUuid,
    status: deployment.status,
    applicationStatus: status,
    seconds: Math.round((now() - started) / 1000),
  };
}

export const deploymentImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(DeploymentInputsSchema, news);
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["applicationUuid", "triggers", "force"]);
    return { changes: changed.length > 0, replaces: replacedKeys(olds, news, ["applicationUuid"]) };
  },

  async create(raw) {
    const outs = await deployAndWait(coolifyClient(), raw as unknown as DeploymentInputs);
    return { id: String(outs.deploymentUuid), outs };
  },

  async read(id, props) {
    try {
      const d = await coolifyClient().getDeployment(String(props.deploymentUuid ?? id));
      return { id, props: { ...props, status: d.status } };
    } catch (e) {
      // Coolify prunes old deployments: a missing record is not a missing deployment, and
      // dropping it would redeploy on the next up.
      if (isNotFound(e)) return { id, props };
      throw e;
    }
  },

  async update(_id, olds, news) {
    const last = {
      seconds: typeof olds.seconds === "number" ? olds.seconds : undefined,
      deploymentUuid: typeof olds.deploymentUuid === "string" ? olds.deploymentUuid : undefined,
    };
    return { outs: await deployAndWait(coolifyClient(), news as unknown as DeploymentInputs, last) };
  },

  async delete() {
    // A deployment is an event, not an object: nothing to delete.
  },
};

/** One deployment of an application, redone whenever its triggers change. */
export class Deployment extends pulumi.dynamic.Resource {
  declare readonly deploymentUuid: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly applicationStatus: pulumi.Output<string>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      deploymentUuid: undefined,
      status: undefined,
      applicationStatus: undefined,
    };
    super(makeShim("Deployment"), name, props, opts, "coolify", "Deployment");
  }
}
