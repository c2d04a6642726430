/**
 * Turns `pulumi preview --json` output (the engine's PreviewDigest) into a Markdown PR comment.
 *
 *   npx tsx scripts/preview-summary.ts --stack dev < preview.json > comment.md
 *   npx tsx scripts/preview-summary.ts --input dev.json --stack dev --input prod.json --stack prod
 *
 * Only operation names, resource types, resource names and property PATHS are printed, never
 * property values: the digest's oldState/newState are not read at all.
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
  // oldState/newState exist in the digest; deliberately not typed: values are never printed.
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
    } else {
      for (const path of step.diffReasons ?? []) add(path, "update");
    }
    for (const path of replaceReasons) add(path, "update-replace");
  }
  for (const row of rows.values()) {
    const real = row.properties.filter((p) => p.path !== "__provider");
    row.providerOnly = row.op === "update" && row.properties.length > 0 && real.length === 0;
    row.properties.sort((a, b) => Number(b.replaces) - Number(a.replaces) || a.path.localeCompare(b.path));
  }
  return [...rows.values()];
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
  const suffix = kind === "add" ? " (added)" : kind === "delete" ? " (removed)" : "";
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
