// Request-body validation against Coolify's OpenAPI document (read at runtime, never copied).
// The document is compiled the way notes/coolify-api.md section 1.1 and 9.8 say:
// Ajv 2020 non-strict (the spec uses `example` and OAS 3.0 `nullable`), no format checks (Coolify
// ids are not RFC 4122 uuids), no `required` (the handlers check required fields the way the
// controllers do, e.g. environment_name OR environment_uuid, section 1.2), no added
// additionalProperties (unknown fields are checked per endpoint by the handlers).
// Errors are turned into Laravel validator messages (422 shape (a), section 2.6).
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import YAML from "yaml";

type Json = Record<string, unknown>;

interface LoadedSpec {
  doc: Json;
  loadMs: number;
  ajv: Ajv2020;
  compiled: Map<string, ValidateFunction | null>;
}

const cache = new Map<string, LoadedSpec>();

/** Where Coolify's OpenAPI document is looked for, and how to put it there. */
export const OPENAPI_HINT =
  "Coolify's OpenAPI document (4.3.11) belongs at ../shared/coolify/openapi.yaml beside the repository " +
  "(for a git worktree: beside its main checkout), or at the path in COOLIFY_OPENAPI_PATH. Get it from " +
  "Coolify's repository (openapi.yaml at tag v4.3.11) and never copy it into this one.";

/**
 * COOLIFY_OPENAPI_PATH, else ../shared/coolify/openapi.yaml beside the repo root (two levels above
 * this file), else beside the main checkout when this is a git worktree (`.git` is then a file
 * naming the worktree's git dir, whose `commondir` leads to the main checkout's .git).
 */
export function defaultOpenapiPath(): string | null {
  const fromEnv = process.env.COOLIFY_OPENAPI_PATH;
  if (fromEnv) return path.resolve(fromEnv);
  const repoRoot = path.resolve(__dirname, "..", "..");
  for (const root of [repoRoot, mainCheckoutOf(repoRoot)]) {
    if (!root) continue;
    const p = path.resolve(root, "..", "shared", "coolify", "openapi.yaml");
    if (existsSync(p)) return p;
  }
  return null;
}

function mainCheckoutOf(repoRoot: string): string | undefined {
  try {
    const dotGit = readFileSync(path.join(repoRoot, ".git"), "utf8");
    const gitDir = /^gitdir:\s*(.+)$/m.exec(dotGit)?.[1]?.trim();
    if (!gitDir) return undefined;
    const worktreeGitDir = path.resolve(repoRoot, gitDir);
    const common = readFileSync(path.join(worktreeGitDir, "commondir"), "utf8").trim();
    return path.dirname(path.resolve(worktreeGitDir, common));
  } catch {
    return undefined; // a plain checkout: .git is a directory
  }
}

export class OpenApiValidator {
  private spec: LoadedSpec;
  constructor(spec: LoadedSpec) {
    this.spec = spec;
  }

  static load(file: string): OpenApiValidator {
    const abs = path.resolve(file);
    let spec = cache.get(abs);
    if (!spec) {
      const t0 = Date.now();
      const doc = YAML.parse(readFileSync(abs, "utf8")) as Json;
      const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
      spec = { doc, loadMs: Date.now() - t0, ajv, compiled: new Map() };
      cache.set(abs, spec);
    }
    return new OpenApiValidator(spec);
  }

  get loadMs(): number {
    return this.spec.loadMs;
  }

  private validatorFor(method: string, template: string): ValidateFunction | null {
    const key = `${method.toUpperCase()} ${template}`;
    if (this.spec.compiled.has(key)) return this.spec.compiled.get(key) ?? null;
    const paths = this.spec.doc.paths as Record<string, Record<string, Json>> | undefined;
    const op = paths?.[template]?.[method.toLowerCase()];
    const content = (op?.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
    const schema = content?.["application/json"]?.schema as Json | undefined;
    let fn: ValidateFunction | null = null;
    if (schema) {
      const loosened = loosen(resolveRefs(schema, this.spec.doc)) as Json;
      // App env endpoints accept is_runtime, is_buildtime, comment, which the spec omits (section 1.2).
      if (/^\/applications\/\{uuid\}\/envs/.test(template) && loosened.properties) {
        const props = loosened.properties as Json;
        props.is_runtime = { type: "boolean" };
        props.is_buildtime = { type: "boolean" };
        props.comment = { type: "string", maxLength: 256 };
      }
      fn = this.spec.ajv.compile(loosened);
    }
    this.spec.compiled.set(key, fn);
    return fn;
  }

  private responseValidatorFor(method: string, template: string, status: number): ValidateFunction | null {
    const key = `${method.toUpperCase()} ${template} -> ${status}`;
    if (this.spec.compiled.has(key)) return this.spec.compiled.get(key) ?? null;
    const paths = this.spec.doc.paths as Record<string, Record<string, Json>> | undefined;
    const op = paths?.[template]?.[method.toLowerCase()];
    const responses = op?.responses as Record<string, Json> | undefined;
    const content = responses?.[String(status)]?.content as Record<string, Json> | undefined;
    const schema = content?.["application/json"]?.schema as Json | undefined;
    const wrong =
      SPEC_WRONG_RESPONSES.has(`${method.toUpperCase()} ${template}`) || status === 422 || status === 429;
    const nullable = NULLABLE_RESPONSE_FIELDS[`${method.toUpperCase()} ${template}`] ?? [];
    const fn =
      schema && !wrong
        ? this.spec.ajv.compile(
            withNullable(loosenResponse(loosen(resolveRefs(schema, this.spec.doc))), nullable) as Json,
          )
        : null;
    this.spec.compiled.set(key, fn);
    return fn;
  }

  /**
   * Checks a response body against the spec's schema for that operation and status. Returns the
   * violations as "path: message" lines (empty when it conforms, or when the spec declares no
   * JSON schema for it).
   */
  validateResponse(method: string, template: string, status: number, body: unknown): string[] {
    const fn = this.responseValidatorFor(method, template, status);
    if (!fn || fn(body)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || "(body)"}: ${e.message ?? e.keyword}`);
  }

  /**
   * Validate a body (after empty-string-to-null conversion). Returns Laravel-style field errors,
   * or null when the body is valid. Null values and fields not in the schema are not checked here.
   */
  validate(method: string, template: string, body: unknown): Record<string, string[]> | null {
    const fn = this.validatorFor(method, template);
    if (!fn || !isObject(body)) return null;
    const data: Json = {};
    for (const [k, v] of Object.entries(body)) if (v !== null) data[k] = v;
    if (fn(data)) return null;
    const errors: Record<string, string[]> = {};
    for (const e of fn.errors ?? []) {
      const field = fieldOf(e);
      if (!field) continue;
      const value = data[field.split(".")[0] ?? ""];
      if (laravelAccepts(e, value)) continue;
      const msg = messageFor(e, field);
      if (!msg) continue;
      const list = errors[field] ?? [];
      if (!list.includes(msg)) list.push(msg);
      errors[field] = list;
    }
    return Object.keys(errors).length ? errors : null;
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function resolveRefs(node: unknown, doc: Json, depth = 0): unknown {
  if (depth > 20) return node;
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, doc, depth + 1));
  if (!isObject(node)) return node;
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/")) {
    let target: unknown = doc;
    for (const part of node.$ref.slice(2).split("/")) target = isObject(target) ? target[part] : undefined;
    return resolveRefs(target, doc, depth + 1);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = resolveRefs(v, doc, depth + 1);
  return out;
}

/** Drop `required`, `format`, `example`; turn `nullable: true` into a type union. */
function loosen(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(loosen);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "required" && Array.isArray(v)) continue;
    if (k === "format" || k === "example" || k === "nullable") continue;
    if (k === "properties" && isObject(v)) {
      const props: Json = {};
      for (const [pk, pv] of Object.entries(v)) props[pk] = loosen(pv);
      out[k] = props;
      continue;
    }
    out[k] = loosen(v);
  }
  if (node.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  if (node.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null))
    out.enum = [...out.enum, null];
  return out;
}

/**
 * Responses whose schema in the spec is wrong against the running server (notes section 1.2):
 * the server's real shape is modelled and tested by the handlers' own tests instead. 422 and
 * 429 bodies are left out for the same reason (notes 2.6: three 422 shapes; the throttle's own
 * 429 message).
 */
const SPEC_WRONG_RESPONSES = new Set([
  "GET /databases",
  "GET /databases/{uuid}",
  "GET /resources",
  "POST /databases/postgresql",
  "PATCH /databases/{uuid}",
  "POST /databases/{uuid}/envs",
  "PATCH /servers/{uuid}",
  "GET /deployments/applications/{uuid}",
  "POST /deploy",
  // A raw JSON array of backup configurations with their executions; the spec says `string`
  // (Coolify 4.3.11 source, DatabasesController::database_backup_details_uuid).
  "GET /databases/{uuid}/backups",
]);

/**
 * Integer fields the real server sends as null where the spec does not allow it: an execution's
 * size is null while it runs (Coolify 4.3.11 source, scheduled_database_backup_executions.size is
 * a nullable column). Its null filename and message are covered by the string rule below.
 */
const NULLABLE_RESPONSE_FIELDS: Record<string, string[]> = {
  "GET /databases/{uuid}/backups/{scheduled_backup_uuid}/executions": ["size"],
};

function withNullable(node: unknown, fields: string[]): unknown {
  if (fields.length === 0) return node;
  if (Array.isArray(node)) return node.map((n) => withNullable(n, fields));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = withNullable(v, fields);
  const props = out.properties;
  if (isObject(props)) {
    for (const f of fields) {
      const p = props[f];
      if (isObject(p) && typeof p.type === "string") props[f] = { ...p, type: [p.type, "null"] };
    }
  }
  return out;
}

/**
 * What a response may hold beyond the letter of the spec: null in string fields (Laravel
 * returns unset varchar columns as null; boolean and integer columns have defaults and stay
 * strict), and `dockerimage` as a build pack (notes 1.2).
 */
function loosenResponse(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(loosenResponse);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = loosenResponse(v);
  if (out.type === "string") out.type = ["string", "null"];
  // PATCH of an env var stores these two flags as sent, null when omitted (notes P3).
  const props = out.properties;
  if (isObject(props)) {
    for (const flag of ["is_multiline", "is_shown_once"]) {
      const f = props[flag];
      if (isObject(f) && f.type === "boolean") props[flag] = { ...f, type: ["boolean", "null"] };
    }
  }
  if (Array.isArray(out.enum) && out.enum.includes("dockercompose") && !out.enum.includes("dockerimage"))
    out.enum = [...out.enum, "dockerimage", null];
  return out;
}

function fieldOf(e: ErrorObject): string | null {
  const p = e.instancePath.split("/").filter(Boolean);
  if (p.length === 0) return null;
  return p.join(".");
}

/** Laravel's `integer` rule accepts integer strings; `boolean` accepts 0, 1, "0", "1". */
function laravelAccepts(e: ErrorObject, value: unknown): boolean {
  if (e.keyword !== "type") return false;
  const t = String((e.params as { type?: unknown }).type);
  if (t.includes("integer") && typeof value === "string" && /^-?\d+$/.test(value)) return true;
  if (t.includes("number") && typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return true;
  if (t.includes("boolean") && (value === 0 || value === 1 || value === "0" || value === "1")) return true;
  return false;
}

function attr(field: string): string {
  return (field.split(".").pop() ?? field).replace(/_/g, " ");
}

function messageFor(e: ErrorObject, field: string): string | null {
  const a = attr(field);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "type": {
      const t = String(params.type);
      if (t.includes("integer")) return `The ${a} field must be an integer.`;
      if (t.includes("number")) return `The ${a} field must be a number.`;
      if (t.includes("boolean")) return `The ${a} field must be true or false.`;
      if (t.includes("array")) return `The ${a} field must be an array.`;
      if (t.includes("object")) return `The ${a} field must be an array.`;
      return `The ${a} field must be a string.`;
    }
    case "enum":
      return `The selected ${a} is invalid.`;
    case "maxLength":
      return `The ${a} field must not be greater than ${params.limit} characters.`;
    case "minLength":
      return `The ${a} field must be at least ${params.limit} characters.`;
    case "maximum":
      return `The ${a} field must not be greater than ${params.limit}.`;
    case "minimum":
      return `The ${a} field must be at least ${params.limit}.`;
    case "pattern":
      return `The ${a} field format is invalid.`;
    case "additionalProperties":
      return null;
    default:
      return `The ${a} field is invalid.`;
  }
}
