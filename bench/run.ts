// `npm run bench`: API economy (in-process, against the simulator), end-to-end wall times with the
// real pulumi CLI, and the client-side rate limiter. Prints Markdown tables; asserts nothing.
//
//   npx tsx bench/run.ts [--only api,e2e,limiter,fleet,day2] [--runs 3] [--speedup 20] [--json FILE]
//                        [--agents 100] [--parallel 8,16,32] [--servers 1] [--phase-ms 1000]
//   npx tsx bench/run.ts --only fleet-cli [--agents 100] [--parallel 32] [--budget 200]
//                        [--skip-checkpoints]
//     (opt-in, not in the default set: the fleet through the real pulumi CLI in real time, minutes)
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { closeAgents } from "../providers/coolify/src/client/client";
import { followUps, referenceWork } from "./api-economy";
import { day2Costs } from "./day2";
import { type E2eRun, e2eRun, OPERATIONS } from "./e2e";
import { type FleetResult, fleet } from "./fleet";
import {
  CLI_OPERATIONS,
  type CliOperation,
  type CliOperationResult,
  FLEET_CLI_LIMITS,
  fleetCli,
} from "./fleet-cli";
import { burst } from "./limiter";
import { seconds, stats, table, tally } from "./report";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const only = new Set(arg("only", "api,e2e,limiter,fleet,day2").split(","));
const agents = Number(arg("agents", "100"));
const parallels = arg("parallel", "8,16,32").split(",").map(Number);
// The fleet: Coolify servers the agents are spread over, and each deployment phase's length.
const servers = Number(arg("servers", "1"));
const phaseMs = Number(arg("phase-ms", "1000"));
const runs = Number(arg("runs", "3"));
const speedup = Number(arg("speedup", "20"));
const jsonFile = arg("json", "");
const results: Record<string, unknown> = {};

const print = (s = "") => process.stdout.write(`${s}\n`);

function machine(): string {
  let pulumi = "?";
  try {
    pulumi = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  } catch {
    // not on PATH: npm run bench puts it there
  }
  return `${new Date().toISOString()}, nproc ${cpus().length}, node ${process.version}, pulumi ${pulumi}`;
}

async function apiEconomy(): Promise<void> {
  print("## 1. API economy (in-process provider implementations on the simulator)");
  print();
  print(
    `Simulator clock ×${speedup}, ELIZA_COOLIFY_POLL_SCALE=${(1 / speedup).toFixed(4)}: ` +
      "the provider polls as it would against a real deployment of that length.",
  );
  const variants = [
    { label: "healthy at 60 s, serverUuid declared", phaseSeconds: 20, declareServer: true },
    { label: "healthy at 60 s, serverUuid looked up", phaseSeconds: 20, declareServer: false },
    {
      label: "finished at 60 s (healthy at 90 s), serverUuid declared",
      phaseSeconds: 30,
      declareServer: true,
    },
  ];
  const refs = [];
  let follow: Awaited<ReturnType<typeof followUps>> | undefined;
  for (const v of variants) {
    const r = await referenceWork({ ...v, speedup });
    refs.push(r.result);
    if (!follow) follow = await followUps(r.sim, r.stack, r.rec);
    await r.sim.close();
  }
  results.api = { reference: refs, followUps: follow };

  print();
  print("### Reference work: project, database, app with a domain and 5 env vars, one deployment");
  print();
  print(
    table(
      ["Tool / variant", "Requests", "Polls", "Total", "Poll times (virtual s after deploy)"],
      [
        ["coolify-terraform (anchor, counted from source)", 16, 12, 28, "5, 10, ..., 60"],
        ["bambamboole pulumi-coolify (anchor)", 24, 7, 31, "0, 10, ..., 60"],
        ["DESIGN target", "≤ 6", "≤ 4", "≤ 10", ""],
        ...refs.map((r) => [
          `ours: ${r.label} (phase ${r.phaseSeconds} s)`,
          r.create.requests.length,
          r.create.polls.length,
          r.create.all.length,
          r.deployPolls.map((p) => p.atSeconds.toFixed(0)).join(", "),
        ]),
      ],
    ),
  );
  print();
  const first = refs[0];
  if (first) {
    print(`Per resource (${first.label}):`);
    print();
    print(
      table(
        ["Resource", "Requests", "Polls", "What"],
        Object.entries(first.perResource).map(([k, c]) => [
          k,
          c.requests.length,
          c.polls.length,
          tally(c.all),
        ]),
      ),
    );
  }
  print();
  print(
    `Wall time of the reference work: ${refs.map((r) => `${seconds(r.wallMs)} s`).join(", ")} ` +
      `(virtual time of the deployment wait: ${refs.map((r) => `${r.deploymentWaited.toFixed(0)} s`).join(", ")}).`,
  );
  if (!follow) return;
  print();
  print("### After the reference work");
  print();
  const envTotal = Object.values(follow.envChange.perResource);
  const envReq = envTotal.flatMap((c) => c.requests);
  const envPoll = envTotal.flatMap((c) => c.polls);
  const destroy = Object.values(follow.destroy.perResource);
  const dReq = destroy.flatMap((c) => c.requests);
  const dPoll = destroy.flatMap((c) => c.polls);
  const refreshAll = Object.values(follow.refresh).flatMap((c) => c.all);
  print(
    table(
      ["Operation", "coolify-terraform", "bambamboole", "DESIGN target", "ours", "ours, requests"],
      [
        [
          "no-change preview/plan",
          "10 (6-10)",
          "0",
          "0 (now 1: the check of URL and token)",
          String(follow.noChangeDiff.all.length),
          follow.noChangeDiff.all.join(", ") || "none",
        ],
        [
          "refresh",
          "10 (6-10)",
          "8",
          "1 GET per resource",
          `${refreshAll.length} GETs for ${Object.keys(follow.refresh).length} resources`,
          tally(refreshAll),
        ],
        [
          "change one env value",
          "12 (8-12)",
          "0 (value never sent); 4-8 with overwrite",
          "1 write + a redeploy",
          `${envReq.length} + ${envPoll.length} polls; applied: ${follow.envChange.applied}, redeployed: ${follow.envChange.newDeploymentFinished}`,
          tally([...envReq, ...envPoll]),
        ],
        [
          `destroy (delete job ${follow.deleteDelaySeconds} s)`,
          "28-34",
          "4 (can fail on queued deletes)",
          "never fails on queued deletes",
          `${dReq.length} + ${dPoll.length} polls; Coolify empty: ${follow.destroy.coolifyEmpty}`,
          tally([...dReq, ...dPoll]),
        ],
      ],
    ),
  );
  print();
  print("Destroy per resource:");
  print();
  print(
    table(
      ["Resource", "Requests", "Polls", "What"],
      Object.entries(follow.destroy.perResource).map(([k, c]) => [
        k,
        c.requests.length,
        c.polls.length,
        tally(c.all),
      ]),
    ),
  );
  print();
  print(`Destroy wall time (clock at normal speed): ${seconds(follow.destroy.wallMs)} s.`);
}

async function endToEnd(): Promise<void> {
  print();
  print(`## 2. End-to-end, real pulumi CLI on the simulator: dev stack (two agents), ${runs} run(s)`);
  const all: E2eRun[] = [];
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    all.push(await e2eRun());
    process.stderr.write(`e2e run ${i + 1}/${runs}: ${seconds(Date.now() - started)} s\n`);
  }
  results.e2e = all;
  print();
  print(
    table(
      ["Operation", "min s", "median s", "max s", "API requests", "provider peak RSS MiB (max)"],
      OPERATIONS.map((op) => {
        const s = stats(all.map((r) => r.ms[op]));
        const rss = all.map((r) => r.providerPeakRssMiB[op]).filter((x): x is number => x !== undefined);
        return [
          op,
          seconds(s.min),
          seconds(s.median),
          seconds(s.max),
          [...new Set(all.map((r) => r.apiRequests[op]))].join("/"),
          rss.length ? Math.max(...rss).toFixed(1) : "not seen",
        ];
      }),
    ),
  );
  const last = all[all.length - 1];
  if (last) {
    print();
    print(
      `State after up: ${last.resources} resources, ${last.providerFieldBytes.count} dynamic; \`__provider\` ` +
        `${last.providerFieldBytes.min}-${last.providerFieldBytes.max} bytes each, ${last.providerFieldBytes.total} ` +
        `in all, of a ${last.stateFileBytes}-byte state file.`,
    );
    print();
    print("API requests of the last run:");
    print();
    print(
      table(
        ["Operation", "Requests"],
        OPERATIONS.map((op) => [
          op,
          Object.entries(last.apiLog[op])
            .map(([r, n]) => `${n > 1 ? `${n}× ` : ""}${r.replace("/api/v1", "")}`)
            .join(", ") || "none",
        ]),
      ),
    );
  }
}

async function limiter(): Promise<void> {
  print();
  print("## 3. Client-side rate limiter: 300 GETs at once, simulator limit 200/min per user");
  const rows = [
    await burst({ label: "default budget", count: 300, budgetPerMinute: 150 }),
    await burst({ label: "no client budget", count: 300, budgetPerMinute: null }),
  ];
  results.limiter = rows;
  print();
  print(
    table(
      ["Client", "Budget/min", "GETs", "First to last answer (virtual s)", "Max answers in any 60 s", "429s"],
      rows.map((r) => [
        r.label,
        r.budgetPerMinute ?? "none",
        r.requests,
        r.seconds.toFixed(1),
        r.maxPerMinuteWindow,
        r.refused,
      ]),
    ),
  );
}

async function fleetScenario(): Promise<void> {
  print();
  print(
    `## 4. A fleet of ${agents} agents from nothing, then destroyed (in-process, engine order, ` +
      `${parallels.join(", ")} operations at once${servers > 1 ? `, ${servers} servers` : ""})`,
  );
  print();
  print(
    "Simulator with Coolify's limits: 200 requests/min per token owner (fixed window), 2 deployments at " +
      `a time per server${servers > 1 ? ` (${servers} servers)` : ""} and one per application, a deployment ` +
      `${(2 * phaseMs) / 1000} s (${phaseMs / 1000} s queued + ${phaseMs / 1000} s in progress; healthy ` +
      `${phaseMs / 1000} s later), delete jobs 10 s. Clock: one virtual clock (bench/virtual-clock.ts) for the provider's ` +
      "polls and deadlines, the client's budget and backoff, and the simulator; it jumps to the next " +
      "sleeper whenever every request is answered, so the real poll schedule runs in seconds. " +
      '"Virtual s" is that clock, "Real s" the machine\'s.',
  );
  const rows: FleetResult[] = [];
  for (const p of parallels) {
    for (const budget of [200, 150]) {
      const started = Date.now();
      rows.push(await fleet({ agents, budgetPerMinute: budget, parallel: p, servers, phaseMs }));
      process.stderr.write(`fleet (parallel ${p}, budget ${budget}): ${seconds(Date.now() - started)} s\n`);
    }
  }
  results.fleet = rows;
  const ratio = (t: number, bound: number) => (bound > 0 ? (t / bound).toFixed(2) : "-");
  print();
  print(
    "Bound: the larger of the rate bound (requests / 200 per minute) and the build queue (ceil(N/2) " +
      'rounds of one 2 s deployment) for up, or one delete job (10 s) for destroy. "Bound" counts the ' +
      'run\'s own requests; "minimal bound" only those that are not polls (polls: GETs of one deployment, ' +
      "application or database, of the environment while the project waits for its children, and project " +
      'DELETEs refused with "has resources"), so polls the run could have saved show in its ratio.',
  );
  print();
  print(
    table(
      [
        "Parallel",
        "Budget/min",
        "Operation",
        "Virtual s",
        "Bound s (which)",
        "× bound",
        "Minimal bound s",
        "× minimal",
        "Requests (polls)",
        "Max in any 60 s",
        "429s",
        "Failed",
        "Left in Coolify",
        "Real s",
      ],
      rows.flatMap((r) => {
        const upBound = Math.max(r.up.rateBoundSeconds, r.up.queueBoundSeconds);
        const upMin = Math.max(r.up.minimalRateBoundSeconds, r.up.queueBoundSeconds);
        const downBound = Math.max(r.destroy.rateBoundSeconds, r.destroy.deleteBoundSeconds);
        const downMin = Math.max(r.destroy.minimalRateBoundSeconds, r.destroy.deleteBoundSeconds);
        return [
          [
            r.options.parallel,
            r.options.budgetPerMinute,
            "up",
            r.up.virtualSeconds.toFixed(1),
            `${upBound.toFixed(1)} (${r.up.rateBoundSeconds >= r.up.queueBoundSeconds ? "requests/200" : "build queue"}${r.options.servers > 1 ? `; queue ${r.up.queueBoundSeconds.toFixed(0)}; busiest server ${r.up.mostOnOneServer} agents: ${r.up.spreadBoundSeconds.toFixed(0)}` : ""})`,
            ratio(r.up.virtualSeconds, upBound),
            upMin.toFixed(1),
            ratio(r.up.virtualSeconds, upMin),
            `${r.up.requests} (${r.up.polls})`,
            r.up.maxPerMinute,
            r.up.refused429,
            r.up.failed.length + r.up.skipped,
            "",
            seconds(r.up.wallMs),
          ],
          [
            r.options.parallel,
            r.options.budgetPerMinute,
            "destroy",
            r.destroy.virtualSeconds.toFixed(1),
            `${downBound.toFixed(1)} (${r.destroy.rateBoundSeconds >= r.destroy.deleteBoundSeconds ? "requests/200" : "delete job"})`,
            ratio(r.destroy.virtualSeconds, downBound),
            downMin.toFixed(1),
            ratio(r.destroy.virtualSeconds, downMin),
            `${r.destroy.requests} (${r.destroy.polls})`,
            r.destroy.maxPerMinute,
            r.destroy.refused429,
            r.destroy.failed.length + r.destroy.skipped,
            r.destroy.leftOver,
            seconds(r.destroy.wallMs),
          ],
        ];
      }),
    ),
  );
  const first = rows.find((r) => r.options.parallel === 16 && r.options.budgetPerMinute === 200) ?? rows[0];
  if (first) {
    print();
    print(`Requests by kind (parallel ${first.options.parallel}, budget ${first.options.budgetPerMinute}):`);
    print();
    const kinds = [...new Set([...Object.keys(first.up.byRequest), ...Object.keys(first.destroy.byRequest)])];
    print(
      table(
        ["Request", "up", "destroy"],
        kinds.map((k) => [k, first.up.byRequest[k] ?? 0, first.destroy.byRequest[k] ?? 0]),
      ),
    );
  }
  for (const r of rows) {
    for (const f of [...r.up.failed, ...r.destroy.failed])
      print(
        `- failed (parallel ${r.options.parallel}, budget ${r.options.budgetPerMinute}): ${f.key}: ${f.error}`,
      );
  }
}

async function fleetCliScenario(): Promise<void> {
  const budget = Number(arg("budget", "200"));
  const p = Number(arg("parallel", "32").split(",")[0]);
  const skipCheckpoints = flag("skip-checkpoints");
  print();
  print(
    `## 5. A fleet of ${agents} agents through the real pulumi CLI (--parallel ${p}, client budget ${budget}/min` +
      `${skipCheckpoints ? ", PULUMI_SKIP_CHECKPOINTS=true" : ""})`,
  );
  print();
  print(
    "The stack's program (dist/index.js) with the dev stack's settings and N image agents with domains, on the " +
      "simulator with Coolify's limits: 200 requests/min per token, 2 deployments at a time per server and one " +
      "per application, deployments of 2 s (healthy 1 s later), delete jobs of 10 s. **Clock: the machine's** " +
      "(real time; the provider polls on its real schedule), so the figures include the CLI, the language " +
      "host, the program and the provider process on this shared machine. Memory: peak RSS (VmHWM) of each " +
      "process; CPU: its utime + stime, both from /proc.",
  );
  const r = await fleetCli({ agents, budgetPerMinute: budget, parallel: p, skipCheckpoints });
  results.fleetCli = r;
  const { coolifyPerMinute, buildsPerServer, deploymentSeconds, deleteJobSeconds } = FLEET_CLI_LIMITS;
  const boundOf = (op: CliOperation, o: CliOperationResult) => {
    const rate = (o.requests / coolifyPerMinute) * 60;
    const minimal = ((o.requests - o.polls) / coolifyPerMinute) * 60;
    const floor =
      op === "up"
        ? Math.ceil(agents / buildsPerServer) * deploymentSeconds
        : op === "destroy"
          ? deleteJobSeconds
          : 0;
    return { bound: Math.max(rate, floor), minimal: Math.max(minimal, floor) };
  };
  print();
  print(
    table(
      [
        "Operation",
        "Real s",
        "Bound s",
        "× bound",
        "× minimal bound",
        "Requests (polls)",
        "Max in any 60 s",
        "429s",
        "Changes",
        "Peak RSS MiB: CLI / program / provider",
        "CPU s: CLI / program / provider",
      ],
      CLI_OPERATIONS.flatMap((op) => {
        const o = r.ops[op];
        if (!o) return [];
        const b = boundOf(op, o);
        const three = (m: Partial<Record<string, number>>) =>
          [m.cli, m.program, m.provider].map((x) => (x === undefined ? "-" : x.toFixed(0))).join(" / ");
        return [
          [
            op,
            o.seconds.toFixed(1),
            b.bound > 0.5 ? b.bound.toFixed(1) : "-",
            b.bound > 0.5 ? (o.seconds / b.bound).toFixed(2) : "-",
            b.minimal > 0.5 ? (o.seconds / b.minimal).toFixed(2) : "-",
            `${o.requests} (${o.polls})`,
            o.maxPerMinute,
            o.refused429,
            Object.entries(o.changes)
              .map(([k, n]) => `${n} ${k}`)
              .join(", "),
            three(o.peakRssMiB),
            three(o.cpuSeconds),
          ],
        ];
      }),
    ),
  );
  print();
  print(
    `State after up: ${r.resources} resources, ${(r.stateFileBytes / 1e6).toFixed(1)} MB. ` +
      `Left in Coolify after destroy: ${r.ops.destroy?.leftOver ?? "not run"}. ` +
      `No-change preview requests: ${Object.entries(r.ops["preview (no-op)"]?.byRequest ?? {})
        .map(([k, n]) => `${n}× ${k}`)
        .join(", ")}.`,
  );
}

async function day2Scenario(): Promise<void> {
  print();
  print("## 6. Day-2 operations: Coolify API requests per operation");
  print();
  print(
    "Counted on `npm run demo -- --day2` (scripts/demo/day2.ts): the dev stack (two agents) through the " +
      "real pulumi CLI on the simulator, backups to a real S3 server and a real PostgreSQL behind the " +
      "database, rollback on. Each operation that is a `pulumi up` includes the preflight (GET /version) " +
      "and the deploy-ability probe (POST /deploy answered 404); the restore is `npm run restore`'s " +
      "procedure. Agent-plane requests (the smoke tests' chat) are not Coolify API requests and are left out.",
  );
  const started = Date.now();
  const { operations, failed } = await day2Costs();
  process.stderr.write(`day2: ${seconds(Date.now() - started)} s\n`);
  results.day2 = operations;
  print();
  print(
    table(
      ["Operation", "Requests", "What"],
      operations.map((o) => [
        o.operation,
        o.requests,
        Object.entries(o.byRequest)
          .map(([k, n]) => (n > 1 ? `${n}× ${k}` : k))
          .join(", "),
      ]),
    ),
  );
  if (failed) print("\n**The day-2 run failed**: the counts above stop where it did.");
}

async function main(): Promise<void> {
  print(`# eliza-coolify benchmarks: ${machine()}`);
  print();
  if (only.has("api")) await apiEconomy();
  if (only.has("e2e")) await endToEnd();
  if (only.has("limiter")) await limiter();
  if (only.has("fleet")) await fleetScenario();
  if (only.has("fleet-cli")) await fleetCliScenario();
  if (only.has("day2")) await day2Scenario();
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  await closeAgents();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
