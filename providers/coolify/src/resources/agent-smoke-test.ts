import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { caCertificateSchema, connectToSchema, fetchVia } from "../provider/connect-to";
import { changedKeys, checkWith } from "../provider/inputs";
import { pollScale } from "../provider/poll";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";
import { DEFAULT_SMOKE_MESSAGE, runSmokeTest, SmokeTestError } from "../smoke-test";

export const AgentSmokeTestInputsSchema = z.object({
  /** The agent server's public origin. */
  url: z
    .string()
    .url()
    .regex(/^https?:\/\//, "an http:// or https:// URL"),
  /** ELIZA_SERVER_AUTH_TOKEN, sent as X-API-KEY. */
  authToken: z.string().optional(),
  agentName: z.string().min(1),
  message: z.string().min(1).default(DEFAULT_SMOKE_MESSAGE),
  timeoutSeconds: z.number().int().min(10).max(1800).default(300),
  /** Run again when any of these change (the deployment, the env digest). */
  triggers: z.record(z.string(), z.string()).default({}),
  connectTo: connectToSchema,
  caCertificate: caCertificateSchema,
});
type AgentSmokeTestInputs = z.infer<typeof AgentSmokeTestInputsSchema>;

export interface AgentSmokeTestArgs {
  url: pulumi.Input<string>;
  authToken?: pulumi.Input<string>;
  agentName: pulumi.Input<string>;
  message?: pulumi.Input<string>;
  timeoutSeconds?: pulumi.Input<number>;
  triggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  connectTo?: pulumi.Input<string>;
  caCertificate?: pulumi.Input<string>;
}

async function run(i: AgentSmokeTestInputs): Promise<Props> {
  let r: Awaited<ReturnType<typeof runSmokeTest>>;
  try {
    r = await runSmokeTest({
      baseUrl: i.url,
      authToken: i.authToken,
      agentName: i.agentName,
      message: i.message,
      timeoutMs: Math.max(1_000, i.timeoutSeconds * 1000 * pollScale()),
      fetchImpl: fetchVia(i),
    });
  } catch (e) {
    // Say which agent failed first: a stack's agents often share one failure's wording.
    if (e instanceof SmokeTestError) {
      throw new SmokeTestError(
        e.code,
        `The smoke test of agent "${i.agentName}" (${i.url}) failed, so \`pulumi up\` stops here; the agent ` +
          `is deployed and the next \`pulumi up\` tests it again. ${e.message}`,
      );
    }
    throw e;
  }
  // The token is an input only; outputs hold what the check found.
  const { authToken: _token, ...rest } = i;
  return {
    ...rest,
    agentId: r.agentId,
    reply: r.reply.slice(0, 200),
    latencyMs: r.latencyMs,
    checkedAt: new Date().toISOString(),
  };
}

export const agentSmokeTestImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(AgentSmokeTestInputsSchema, news);
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["url", "agentName", "message", "triggers", "connectTo"]);
    return { changes: changed.length > 0, replaces: [] };
  },
  async create(inputs) {
    const outs = await run(inputs as unknown as AgentSmokeTestInputs);
    return { id: `${outs.agentId}`, outs };
  },
  async read(id, props) {
    // A refresh does not chat with the agent: it would cost a model call per refresh.
    return { id, props };
  },
  async update(_id, _olds, news) {
    return { outs: await run(news as unknown as AgentSmokeTestInputs) };
  },
  async delete() {},
};

/**
 * Proves the agent answers chat: after each deployment it waits for the server's health, finds
 * the agent, opens a session, sends one message and expects a non-empty reply in time.
 */
export class AgentSmokeTest extends CoolifyResource {
  declare readonly agentId: pulumi.Output<string>;
  declare readonly reply: pulumi.Output<string>;
  declare readonly latencyMs: pulumi.Output<number>;

  constructor(name: string, args: AgentSmokeTestArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      authToken: args.authToken === undefined ? undefined : pulumi.secret(args.authToken),
      agentId: undefined,
      reply: undefined,
      latencyMs: undefined,
    };
    super("AgentSmokeTest", name, props, opts);
  }
}
