// Chat smoke test against a running ElizaOS server, the same check the deployment runs after
// `pulumi up`:
//   npx tsx scripts/smoke-test.ts --url http://127.0.0.1:3000 [--token X] [--agent "Server Bod"]
//     [--message "..."] [--timeout 180]
// The token defaults to $ELIZA_SERVER_AUTH_TOKEN. Exit code 0 when the agent replied, 1 otherwise.
import { parseArgs } from "node:util";
import { runSmokeTest, SmokeTestError } from "../providers/coolify/src/smoke-test";

const usage =
  'Usage: npx tsx scripts/smoke-test.ts --url <server url> [--token <X-API-KEY>] [--agent "<name or id>"] ' +
  "[--message <text>] [--timeout <seconds>]";

async function main(): Promise<number> {
  let values: {
    url?: string;
    token?: string;
    agent?: string;
    message?: string;
    timeout?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: "string" },
        token: { type: "string" },
        agent: { type: "string" },
        message: { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 1;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.url) {
    console.error(`--url is required.\n${usage}`);
    return 1;
  }
  const timeoutSeconds = values.timeout === undefined ? 180 : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    console.error(`--timeout must be a positive number of seconds.\n${usage}`);
    return 1;
  }
  try {
    const result = await runSmokeTest({
      baseUrl: values.url,
      authToken: values.token ?? process.env.ELIZA_SERVER_AUTH_TOKEN,
      agentName: values.agent,
      message: values.message,
      timeoutMs: timeoutSeconds * 1000,
    });
    console.log(
      `ok: agent ${result.agentId} replied in ${result.latencyMs} ms: ${JSON.stringify(result.reply)}`,
    );
    return 0;
  } catch (error) {
    const code = error instanceof SmokeTestError ? ` [${error.code}]` : "";
    console.error(`smoke test failed${code}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

main().then((code) => {
  process.exitCode = code;
});
