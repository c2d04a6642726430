// `npm run restore -- --stack <stack> [--execution <uuid> | --s3-key <key> | --file <path>]
//   [--database-url <url> | --database-host <host> --public-port <port>] [--cwd <project dir>] --yes`
// Restores the stack's database from a backup, stopping and starting its agents around it
// (README: Disaster recovery). One line per step; exit status 1 when a step failed.
import { parseArgs } from "node:util";
import { restore } from "./restore";
import { readStack } from "./stack";

const USAGE = `usage: npm run restore -- --stack <stack> [--execution <uuid> | --s3-key <key> | --file <path>]
         [--database-url <postgres url> | --database-host <host>] [--public-port <port>]
         [--pg-restore <path>] [--cwd <project dir>] --yes
Without --execution, --s3-key or --file: the latest successful backup. Without --database-url the
database is made public on --public-port (default 54329) for the restore, and private again after.
--yes confirms: the database's current contents are replaced by the backup's.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      execution: { type: "string" },
      "s3-key": { type: "string" },
      file: { type: "string" },
      "database-url": { type: "string" },
      "database-host": { type: "string" },
      "public-port": { type: "string" },
      "pg-restore": { type: "string" },
      cwd: { type: "string" },
      "timeout-seconds": { type: "string" },
      yes: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const chosen = [values.execution, values["s3-key"], values.file].filter(Boolean).length;
  if (!values.stack || chosen > 1) {
    console.error(
      !values.stack
        ? "restore: --stack is required"
        : "restore: give at most one of --execution, --s3-key, --file",
    );
    console.error(USAGE);
    return 2;
  }
  if (!values.yes) {
    console.error(
      `restore: this replaces the contents of stack ${values.stack}'s database with a backup and restarts its agents; add --yes to go on`,
    );
    return 2;
  }
  const say = (line: string) => console.log(`restore: ${line}`);
  try {
    const facts = await readStack(values.stack, values.cwd);
    await restore(
      facts,
      {
        execution: values.execution,
        s3Key: values["s3-key"],
        file: values.file,
        databaseUrl: values["database-url"],
        databaseHost: values["database-host"],
        publicPort: values["public-port"] ? Number(values["public-port"]) : undefined,
        pgRestore: values["pg-restore"],
        timeoutSeconds: values["timeout-seconds"] ? Number(values["timeout-seconds"]) : undefined,
      },
      say,
    );
    return 0;
  } catch (e) {
    say(`FAILED: ${(e as Error).message}`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
