// Runs the test model server in the foreground, for trying the agent locally without a model
// provider: `npx tsx test/model-server/cli.ts [--port 8787] [--api-key sk-...]`, then start the agent
// with OPENAI_BASE_URL=<printed url> and OPENAI_API_KEY=<the key>.
import { parseArgs } from "node:util";
import { DEFAULT_TEST_API_KEY, startModelServer } from "./index";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    host: { type: "string", default: "127.0.0.1" },
    "api-key": { type: "string", default: DEFAULT_TEST_API_KEY },
  },
});

startModelServer({ port: Number(values.port), host: values.host, apiKey: values["api-key"] }).then(
  (server) => {
    console.log(`OPENAI_BASE_URL=${server.url}`);
    console.log(`OPENAI_API_KEY=${server.apiKey}`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
