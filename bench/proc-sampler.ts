// Peak memory and CPU time of the processes a pulumi command runs, read from /proc: the kernel keeps each
// process's high-water mark of resident memory (VmHWM), so sampling every 100 ms still sees a
// process's peak as long as it sees the process once before it exits. Only processes descending
// from this one count (the machine is shared with other sessions' pulumi runs).
import { readdirSync, readFileSync } from "node:fs";

/** Which part of a pulumi command a process is. */
export type Role = "cli" | "language host" | "program" | "provider";
export const ROLES: Role[] = ["cli", "language host", "program", "provider"];

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined; // gone between listing and reading
  }
}

/** /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the ")". */
function parentOf(pid: string): string | undefined {
  const stat = readProc(pid, "stat");
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
}

/** The role of a process from its command line, or undefined for anything else. */
export function roleOf(comm: string, cmdline: string): Role | undefined {
  if (comm === "node" && cmdline.includes("dynamic-provider")) return "provider";
  // The language host runs the program as `node .../@pulumi/pulumi/cmd/run ...`.
  if (comm === "node" && /@pulumi[/\\]pulumi[/\\]cmd[/\\]run/.test(cmdline)) return "program";
  if (comm.startsWith("pulumi-language")) return "language host";
  if (comm === "pulumi") return "cli";
  return undefined;
}

/** utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15, in clock ticks). */
function cpuSecondsOf(pid: string): number | undefined {
  const stat = readProc(pid, "stat");
  if (!stat) return undefined;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

export class ProcessTreeSampler {
  private peakKiB: Partial<Record<Role, number>> = {};
  /** CPU seconds last seen per process, with its role: a process's last sample before it exits. */
  private cpu = new Map<string, { role: Role; seconds: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 100) {}

  start(): void {
    this.peakKiB = {};
    this.cpu.clear();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /**
   * Peak RSS in MiB per role seen (the largest process of that role), and CPU seconds per role
   * (all its processes; a process's CPU after its last sample, at most one interval, is missed).
   */
  stop(): { peakRssMiB: Partial<Record<Role, number>>; cpuSeconds: Partial<Record<Role, number>> } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const cpuSeconds: Partial<Record<Role, number>> = {};
    for (const { role, seconds } of this.cpu.values()) cpuSeconds[role] = (cpuSeconds[role] ?? 0) + seconds;
    return {
      peakRssMiB: Object.fromEntries(
        Object.entries(this.peakKiB).map(([r, kib]) => [r, Math.round((kib / 1024) * 10) / 10]),
      ),
      cpuSeconds: Object.fromEntries(
        Object.entries(cpuSeconds).map(([r, s]) => [r, Math.round(s * 10) / 10]),
      ),
    };
  }

  private sample(): void {
    const self = String(process.pid);
    const parents = new Map<string, string | undefined>();
    const parent = (pid: string) => {
      if (!parents.has(pid)) parents.set(pid, parentOf(pid));
      return parents.get(pid);
    };
    const ours = (pid: string) => {
      for (let p: string | undefined = pid, hops = 0; p && p !== "0" && hops < 64; hops++) {
        if (p === self) return true;
        p = parent(p);
      }
      return false;
    };
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const comm = readProc(pid, "comm")?.trim() ?? "";
      if (comm !== "node" && !comm.startsWith("pulumi")) continue;
      const role = roleOf(comm, (readProc(pid, "cmdline") ?? "").replaceAll("\0", " "));
      if (!role || !ours(pid)) continue;
      const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(readProc(pid, "status") ?? "")?.[1];
      if (hwm) this.peakKiB[role] = Math.max(this.peakKiB[role] ?? 0, Number(hwm));
      const cpu = cpuSecondsOf(pid);
      if (cpu !== undefined) this.cpu.set(pid, { role, seconds: cpu });
    }
  }
}
