// `npm run dev`: `elizaos dev` (build, then start the server with development logging), restarted
// when the project's sources or character files change.
//
// Why the restart is ours: the 1.7.2 CLI watches `src/**/*.{ts,js,tsx,jsx}` by handing glob
// patterns to chokidar, but it depends on chokidar ^5, which dropped glob support in v4, so its
// watcher watches nothing and a change never reloads (measured here: no "File changed" after an
// edit). The character files are outside src anyway (../characters or CHARACTERS_DIR). So this
// watches both itself and restarts `elizaos dev`, which rebuilds dist/ and starts again.
//
//   node scripts/dev.mjs [elizaos dev options]
import { spawn } from "node:child_process";
import { existsSync, watch } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const agentDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const charactersDir = process.env.CHARACTERS_DIR?.trim() || resolve(agentDir, "..", "characters");
const SOURCE = /\.(ts|tsx|js|jsx|mjs)$/;

let cli;
let stopping = false;
let restarting = false;

function startCli() {
  cli = spawn(join(agentDir, "node_modules", ".bin", "elizaos"), ["dev", ...process.argv.slice(2)], {
    cwd: agentDir,
    stdio: "inherit",
  });
  cli.once("exit", (code, signal) => {
    if (restarting) return;
    process.exit(code ?? (signal === "SIGINT" ? 130 : 143));
  });
}

/** Stops `elizaos dev` (its SIGTERM handler stops the server it started) and starts it again. */
async function restart(reason) {
  if (restarting || stopping) return;
  restarting = true;
  console.info(`dev: ${reason}; restarting elizaos dev`);
  const exited = new Promise((resolveExit) => cli.once("exit", resolveExit));
  cli.kill("SIGTERM");
  const timer = setTimeout(() => cli.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
  restarting = false;
  if (!stopping) startCli();
}

let debounce;
/** Editors write a file in several steps: one restart after the last of them. */
function changed(reason) {
  clearTimeout(debounce);
  debounce = setTimeout(() => void restart(reason), 300);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    cli.kill(signal);
  });
}

startCli();
watch(join(agentDir, "src"), { recursive: true }, (_event, name) => {
  if (name && SOURCE.test(name)) changed(`src/${name} changed`);
});
if (existsSync(charactersDir)) {
  watch(charactersDir, (_event, name) => {
    if (name?.endsWith(".character.json")) changed(`${name} changed`);
  });
  console.info(`dev: watching src/ and ${charactersDir}/*.character.json`);
} else {
  console.warn(`dev: ${charactersDir} does not exist; watching src/ only (set CHARACTERS_DIR)`);
}
