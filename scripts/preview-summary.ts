/**
 * Turns `pulumi preview --json` output (the engine's PreviewDigest) into a Markdown PR comment.
 *
 *   npx tsx scripts/preview-summary.ts --stack dev < preview.json > comment.md
 *   npx tsx scripts/preview-summary.ts --input dev.json --stack dev --input prod.json --stack prod
 *
 * Only operation names, resource types, resource names and property PATHS are printed, never
 * property values. The Node dynamic-provider host forwards no detailedDiff, so for our resources
 * the changed paths are computed here by comparing the steps' old and new inputs; values are
 * compared, never printed. Secrets arrive masked as "[secret]" and cannot be compared; the
 * EnvVars resource names its changed variables itself in the non-secret input
 * `changedVariables` (providers/coolify/src/resources/env-vars.ts), which is read instead.
 */
import { readFileSync } from "node:fs";

/** Marks the comment so CI can find and update it instead of adding another. */
export const COMMENT_MARKER = "<!-- eliza-coolify:pulumi-preview -->";

export interface PropertyDiff {
  kind: string;
  inputDiff?: boolean;
}

export interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  diffReasons?: string[] | null;
  replaceReasons?: string[] | null;
  detailedDiff?: Record<string, PropertyDiff> | null;
  /** Read only to compare inputs; no value from them is ever printed. */
  oldState?: { inputs?: Record<string, unknown> } | null;
  newState?: { inputs?: Record<string, unknown> } | null;
}

export interface PreviewDiagnostic {
  urn?: string;
  prefix?: string;
  message: string;
  severity: string;
}

export interface PreviewDigest {
  steps?: PreviewStep[] | null;
  diagnostics?: PreviewDiagnostic[] | null;
  changeSummary?: Record<string, number> | null;
  duration?: number;
  maybeCorrupt?: boolean;
}

export interface ParsedUrn {
  stack: string;
  project: string;
  /** The full type token, e.g. `pulumi-nodejs:dynamic/coolify:Application`. */
  type: string;
  /** A shorter type for display, e.g. `coolify:Application`. */
  displayType: string;
  name: string;
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>`. */
export function parseUrn(urn: string): ParsedUrn {
  const parts = urn.split("::");
  const head = parts[0] ?? "";
  const stack = head.startsWith("urn:pulumi:") ? head.slice("urn:pulumi:".length) : head;
  const qualified = parts[2] ?? "";
  const type = qualified.split("$").pop() ?? qualified;
  const name = parts.length > 3 ? parts.slice(3).join("::") : urn;
  return { stack, project: parts[1] ?? "", type, displayType: displayType(type), name };
}

export function displayType(type: string): string {
  // Dynamic resources: pulumi-nodejs:dynamic/<module>:<Type> -> <module>:<Type>.
  const dynamic = /^pulumi-nodejs:dynamic\/([^:]+):(.+)$/.exec(type);
  if (dynamic) return `${dynamic[1]}:${dynamic[2]}`;
  if (type === "pulumi-nodejs:dynamic:Resource") return "dynamic:Resource";
  // Drop the conventional "index" module: aws:index:Provider -> aws:Provider.
  return type.replace(/^([^:]+):index:/, "$1:");
}

export type RowOp = "create" | "update" | "replace" | "delete" | "same" | "read" | "import" | "other";

export interface ChangeRow {
  urn: string;
  type: string;
  displayType: string;
  name: string;
  op: RowOp;
  /** The raw ops of the steps merged into this row. */
  ops: string[];
  properties: { path: string; kind: string; replaces: boolean }[];
  providerOnly: boolean;
}

const OP_RANK: Record<RowOp, number> = {
  delete: 0,
  replace: 1,
  create: 2,
  update: 3,
  import: 4,
  read: 5,
  other: 6,
  same: 7,
};

function rowOp(op: string): RowOp {
  switch (op) {
    case "create":
    case "update":
    case "delete":
    case "same":
    case "read":
    case "import":
    case "replace":
      return op;
    case "create-replacement":
    case "delete-replaced":
    case "discard-replaced":
    case "read-replacement":
    case "import-replacement":
      return "replace";
    case "discard":
      return "delete";
    case "refresh":
      return "same";
    default:
      return "other";
  }
}

function mergeOps(a: RowOp, b: RowOp): RowOp {
  return OP_RANK[a] <= OP_RANK[b] ? a : b;
}

/** Collapses the steps of each URN (a replacement is up to three steps) into one row. */
export function changeRows(digest: PreviewDigest): ChangeRow[] {
  const rows = new Map<string, ChangeRow>();
  for (const step of digest.steps ?? []) {
    if (!step || typeof step.urn !== "string") continue;
    const parsed = parseUrn(step.urn);
    let row = rows.get(step.urn);
    if (!row) {
      row = {
        urn: step.urn,
        type: parsed.type,
        displayType: parsed.displayType,
        name: parsed.name,
        op: rowOp(step.op),
        ops: [],
        properties: [],
        providerOnly: false,
      };
      rows.set(step.urn, row);
    } else row.op = mergeOps(row.op, rowOp(step.op));
    row.ops.push(step.op);

    const replaceReasons = new Set(step.replaceReasons ?? []);
    const seen = new Set(row.properties.map((p) => p.path));
    const add = (path: string, kind: string) => {
      const replaces =
        kind.endsWith("-replace") || replaceReasons.has(path) || replaceReasons.has(topLevel(path));
      const existing = row?.properties.find((p) => p.path === path);
      if (existing) {
        existing.replaces ||= replaces;
        return;
      }
      if (!seen.has(path)) {
        row?.properties.push({ path, kind, replaces });
        seen.add(path);
      }
    };
    if (step.detailedDiff && Object.keys(step.detailedDiff).length > 0) {
      for (const [path, diff] of Object.entries(step.detailedDiff)) add(path, diff?.kind ?? "update");
    } else if (step.diffReasons && step.diffReasons.length > 0) {
      for (const path of step.diffReasons) add(path, "update");
    } else {
      for (const change of inputChanges(step)) add(change.path, change.kind);
    }
    for (const path of replaceReasons) {
      // A reason whose changed sub-paths are listed already is not listed again on its own.
      const detailed = row.properties.some(
        (p) => p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`),
      );
      if (!detailed) add(path, "update-replace");
    }
  }
  for (const row of rows.values()) {
    const real = row.properties.filter((p) => p.path !== "__provider");
    row.providerOnly = row.op === "update" && row.properties.length > 0 && real.length === 0;
    row.properties.sort((a, b) => Number(b.replaces) - Number(a.replaces) || a.path.localeCompare(b.path));
  }
  return [...rows.values()];
}

/** What the preview JSON shows for a secret value (without --show-secrets). */
export const SECRET_SENTINEL = "[secret]";
/** What the engine sends for a value not known until apply. */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * `add`, `delete` and `update` as in a detailedDiff; `unknown`: the new value is known only at
 * apply; `may-change`: an env variable whose new value is known only at apply (EnvVars writes it
 * only if it differs then); `secret`: both sides are masked, so whether it changed cannot be told.
 */
export type InputChangeKind = "add" | "delete" | "update" | "unknown" | "may-change" | "secret";
export interface InputChange {
  path: string;
  kind: InputChangeKind;
}

type Inputs = Record<string, unknown>;

const isRecord = (v: unknown): v is Inputs => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The inputs an update or replacement changes, by path (`limits.memory`, `LOG_LEVEL`), from the
 * step's old and new inputs. Masked secrets are listed only when nothing else changed, since
 * they may well be equal.
 */
export function inputChanges(step: PreviewStep): InputChange[] {
  const olds = step.oldState?.inputs;
  const news = step.newState?.inputs;
  if (!isRecord(olds) || !isRecord(news)) return [];
  const variables = isRecord(news.changedVariables) ? news.changedVariables : undefined;
  const changes: InputChange[] = [];
  if (variables) {
    // EnvVars: the provider compared the values and named what differs (names only); `unknown`
    // is a value known only at apply, which may turn out the same.
    for (const [name, kind] of Object.entries(variables)) {
      const named: InputChangeKind = kind === "add" || kind === "delete" ? kind : "update";
      changes.push({ path: name, kind: kind === "unknown" ? "may-change" : named });
    }
  }
  const skip = new Set(["changedVariables", ...(variables ? ["variables"] : [])]);
  compareValues(olds, news, "", changes, skip);
  // With an unknown value anywhere, our providers' check passes the inputs through without their
  // defaults, so a defaulted key looks removed when it is not: removals then go unreported.
  const partial = hasSentinel(news, UNKNOWN_SENTINEL);
  const shown = changes.filter((c) => !(partial && c.kind === "delete" && !variables?.[c.path]));
  const known = shown.filter((c) => c.kind !== "secret");
  return known.length > 0 ? known : shown;
}

function compareValues(a: unknown, b: unknown, path: string, out: InputChange[], skip?: Set<string>): void {
  if (b === UNKNOWN_SENTINEL) {
    out.push({ path, kind: "unknown" });
  } else if (a === SECRET_SENTINEL && b === SECRET_SENTINEL) {
    out.push({ path, kind: "secret" });
  } else if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (skip?.has(key)) continue;
      const sub = path === "" ? key : `${path}.${key}`;
      if (!(key in b) || b[key] === undefined) {
        if (a[key] !== undefined) out.push({ path: sub, kind: "delete" });
      } else if (!(key in a) || a[key] === undefined) out.push({ path: sub, kind: "add" });
      else compareValues(a[key], b[key], sub, out);
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push({ path, kind: hasSentinel(b, UNKNOWN_SENTINEL) ? "unknown" : "update" });
  }
}

function hasSentinel(value: unknown, sentinel: string): boolean {
  if (value === sentinel) return true;
  if (Array.isArray(value)) return value.some((v) => hasSentinel(v, sentinel));
  if (isRecord(value)) return Object.values(value).some((v) => hasSentinel(v, sentinel));
  return false;
}

function topLevel(path: string): string {
  return path.split(/[.[]/)[0] ?? path;
}

export interface Counts {
  create: number;
  update: number;
  replace: number;
  delete: number;
  same: number;
  other: number;
}

/** Counts from the engine's changeSummary when present, else from the steps. */
export function countChanges(digest: PreviewDigest, rows: ChangeRow[] = changeRows(digest)): Counts {
  const counts: Counts = { create: 0, update: 0, replace: 0, delete: 0, same: 0, other: 0 };
  const summary = digest.changeSummary;
  if (summary && Object.keys(summary).length > 0) {
    for (const [op, n] of Object.entries(summary)) {
      if (typeof n !== "number") continue;
      // The engine counts a replacement once as "replace"; its helper steps are not extra changes.
      if (op === "create-replacement" || op === "delete-replaced" || op === "discard-replaced") continue;
      const key = rowOp(op);
      if (key in counts && key !== "read" && key !== "import") counts[key as keyof Counts] += n;
      else counts.other += n;
    }
    return counts;
  }
  for (const row of rows) {
    if (row.op === "read" || row.op === "import" || row.op === "other") counts.other += 1;
    else counts[row.op] += 1;
  }
  return counts;
}

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ")
    .replace(/`/g, "'");
}

function code(text: string): string {
  return `\`${cell(text)}\``;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes on purpose
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function propertyLabel(p: { path: string; kind: string; replaces: boolean }): string {
  const base = code(p.path);
  const kind = p.kind.replace(/-replace$/, "");
  const suffix =
    kind === "add"
      ? " (added)"
      : kind === "delete"
        ? " (removed)"
        : kind === "unknown"
          ? " (known after apply)"
          : kind === "may-change"
            ? " (may change, known after apply)"
            : kind === "secret"
              ? " (secret, not compared)"
              : "";
  return p.replaces ? `**${base}${suffix} (forces replacement)**` : `${base}${suffix}`;
}

function opLabel(op: RowOp): string {
  switch (op) {
    case "delete":
      return "**DELETE**";
    case "replace":
      return "**REPLACE**";
    default:
      return op;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export interface SummaryOptions {
  stack: string;
  /** Cap on table rows, so a huge preview stays under GitHub's comment limit. */
  maxRows?: number;
}

/** Markdown section for one stack's preview. */
export function summarizePreview(digest: PreviewDigest, opts: SummaryOptions): string {
  const rows = changeRows(digest);
  const counts = countChanges(digest, rows);
  const changed = rows
    .filter((r) => r.op !== "same")
    .sort((a, b) => OP_RANK[a.op] - OP_RANK[b.op] || a.urn.localeCompare(b.urn));
  const errors = (digest.diagnostics ?? []).filter((d) => d && d.severity === "error");
  const warnings = (digest.diagnostics ?? []).filter((d) => d && d.severity === "warning");
  const out: string[] = [];

  const status = errors.length > 0 ? "failed" : changed.length === 0 ? "no changes" : "changes";
  out.push(`### Pulumi preview for stack \`${cell(opts.stack)}\`: ${status}`);
  out.push("");
  out.push(
    `**${counts.create}** to create · **${counts.update}** to update · **${counts.replace}** to replace · **${counts.delete}** to delete · ${counts.same} unchanged${counts.other ? ` · ${counts.other} other` : ""}`,
  );
  out.push("");

  const replaced = changed.filter((r) => r.op === "replace");
  const deleted = changed.filter((r) => r.op === "delete");
  if (replaced.length > 0 || deleted.length > 0) {
    const parts: string[] = [];
    if (deleted.length > 0) parts.push(`**deletes ${plural(deleted.length, "resource")}**`);
    if (replaced.length > 0)
      parts.push(`**replaces ${plural(replaced.length, "resource")}** (delete and re-create)`);
    out.push("> [!CAUTION]");
    out.push(`> This change ${parts.join(" and ")}. Data in them may be lost:`);
    for (const r of [...deleted, ...replaced]) {
      out.push(`> - ${r.op === "delete" ? "DELETE" : "REPLACE"} ${code(r.displayType)} ${code(r.name)}`);
    }
    out.push("");
  }

  if (errors.length > 0) {
    out.push(`**${plural(errors.length, "error")}:**`);
    out.push("");
    out.push("```text");
    for (const d of errors) {
      const where = d.urn ? `${parseUrn(d.urn).displayType} ${parseUrn(d.urn).name}: ` : "";
      const message = d.message.replace(ANSI, "").trim();
      out.push(
        `${where}${message.length > 2000 ? `${message.slice(0, 2000)}…` : message}`.replace(/```/g, "'''"),
      );
    }
    out.push("```");
    out.push("");
  }

  if (changed.length === 0) {
    if (errors.length === 0) {
      out.push("No changes: the stack already matches this pull request.");
      out.push("");
    }
  } else {
    const max = opts.maxRows ?? 200;
    out.push("| Operation | Type | Name | Changed properties |");
    out.push("| --- | --- | --- | --- |");
    for (const r of changed.slice(0, max)) {
      const props = r.properties.filter((p) => p.path !== "__provider");
      let described: string;
      if (r.op === "create") described = "(new)";
      else if (r.op === "delete") described = "(removed)";
      else if (r.providerOnly) described = "provider code only (`__provider`)";
      else if (props.length === 0) described = "(not reported by the provider)";
      else described = props.map(propertyLabel).join(", ");
      out.push(`| ${opLabel(r.op)} | ${code(r.displayType)} | ${code(r.name)} | ${described} |`);
    }
    if (changed.length > max) out.push(`| … | | | ${changed.length - max} more not shown |`);
    out.push("");
    const providerOnly = changed.filter((r) => r.providerOnly).length;
    if (providerOnly > 0) {
      out.push(
        `${plural(providerOnly, "resource")} change${providerOnly === 1 ? "s" : ""} only in the serialized provider code; the Coolify objects themselves are unchanged.`,
      );
      out.push("");
    }
    if (changed.some((r) => r.properties.some((p) => /^(unknown|may-change)/.test(p.kind)))) {
      out.push(
        "_Known after apply_: the new value comes from a resource this change updates or replaces. `pulumi up` compares it once it is known and changes nothing where it turns out the same.",
      );
      out.push("");
    }
    if (changed.some((r) => r.displayType === "coolify:EnvVars" && r.op === "update")) {
      out.push("Environment variables are named, never shown: every value is kept as a secret.");
      out.push("");
    }
  }

  if (warnings.length > 0) {
    out.push(`<details><summary>${plural(warnings.length, "warning")}</summary>`);
    out.push("");
    out.push("```text");
    for (const d of warnings)
      out.push(d.message.replace(ANSI, "").trim().slice(0, 500).replace(/```/g, "'''"));
    out.push("```");
    out.push("");
    out.push("</details>");
    out.push("");
  }
  if (digest.maybeCorrupt) {
    out.push("> [!WARNING]");
    out.push("> The engine reported that this preview may be incomplete (`maybeCorrupt`).");
    out.push("");
  }
  return out.join("\n");
}

/** A section for a stack whose preview produced no usable JSON. */
export function summarizeFailure(stack: string, reason: string): string {
  return [
    `### Pulumi preview for stack \`${cell(stack)}\`: failed`,
    "",
    `The preview produced no result (${cell(reason)}). See the workflow log.`,
    "",
  ].join("\n");
}

/** The whole comment: marker, one section per stack, and a footer. */
export function buildComment(sections: string[], footer?: string): string {
  const parts = [COMMENT_MARKER, "## Infrastructure preview", "", ...sections];
  if (footer) parts.push(footer, "");
  return parts.join("\n");
}

/** Parses the CLI's stdout: one JSON document, possibly after stray non-JSON lines. */
export function parseDigest(text: string): PreviewDigest {
  const trimmed = text.trim();
  if (trimmed === "") throw new Error("empty input");
  try {
    return JSON.parse(trimmed) as PreviewDigest;
  } catch (err) {
    const start = trimmed.indexOf("\n{");
    if (start >= 0) return JSON.parse(trimmed.slice(start + 1)) as PreviewDigest;
    throw err;
  }
}

export interface CliInput {
  stack: string;
  input?: string;
}

/** `--stack a [--input f] [--stack b --input g ...]`; a lone --stack reads stdin. */
export function parseArgs(argv: string[]): { inputs: CliInput[]; footer?: string } {
  const inputs: CliInput[] = [];
  let pendingInput: string | undefined;
  let footer: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--stack" || arg === "--input" || arg === "--footer") {
      if (value === undefined) throw new Error(`${arg} needs a value`);
      i++;
      if (arg === "--footer") footer = value;
      else if (arg === "--input") {
        const last = inputs[inputs.length - 1];
        if (last && last.input === undefined && pendingInput === undefined) last.input = value;
        else pendingInput = value;
      } else {
        inputs.push({ stack: value, input: pendingInput });
        pendingInput = undefined;
      }
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (pendingInput !== undefined) throw new Error(`--input ${pendingInput} has no --stack`);
  if (inputs.length === 0) throw new Error("give at least one --stack");
  if (inputs.filter((i) => i.input === undefined).length > 1) {
    throw new Error("only one stack can read stdin; give --input <file> for the others");
  }
  return { inputs, footer };
}

export function main(argv: string[], readStdin: () => string, readFile: (p: string) => string): string {
  const { inputs, footer } = parseArgs(argv);
  const sections = inputs.map(({ stack, input }) => {
    let text: string;
    try {
      text = input === undefined ? readStdin() : readFile(input);
    } catch (err) {
      return summarizeFailure(stack, `cannot read ${input ?? "stdin"}: ${(err as Error).message}`);
    }
    let digest: PreviewDigest;
    try {
      digest = parseDigest(text);
    } catch (err) {
      return summarizeFailure(stack, `output is not preview JSON: ${(err as Error).message}`);
    }
    return summarizePreview(digest, { stack });
  });
  return buildComment(sections, footer);
}

if (require.main === module) {
  try {
    process.stdout.write(
      main(
        process.argv.slice(2),
        () => readFileSync(0, "utf8"),
        (p) => readFileSync(p, "utf8"),
      ),
    );
  } catch (err) {
    process.stderr.write(`preview-summary: ${(err as Error).message}\n`);
    process.stderr.write(
      "usage: preview-summary.ts --stack <name> [--input <file>] [--stack <name> --input <file> ...]\n",
    );
    process.exit(2);
  }
}
