// Small formatting helpers: Markdown tables and summary statistics.

export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(r.map(String)))].join(
    "\n",
  );
}

export function stats(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { min: s[0] as number, median, max: s[s.length - 1] as number };
}

export const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** "GET /api/v1/applications/abc.../envs" -> "GET /applications/{id}/envs". */
export function shortPath(request: string): string {
  return request.replace("/api/v1", "").replace(/\/[a-z0-9]{24}(?=\/|$)/g, "/{id}");
}

/** Counts of each distinct request, e.g. "3× GET /deployments/{id}". */
export function tally(requests: string[]): string {
  const counts = new Map<string, number>();
  for (const r of requests.map(shortPath)) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => (n > 1 ? `${n}× ${r}` : r)).join(", ") || "none";
}

/** The most of `times` (ms) that fall in any window of `windowMs`. */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
