// Persistent and file storages of an application: GET/POST/PATCH /applications/{uuid}/storages
// and DELETE /applications/{uuid}/storages/{storage_uuid} (Coolify 4.3.11 source,
// ApplicationsController storages, create_storage, update_storage, delete_storage; models
// LocalPersistentVolume and LocalFileVolume). What the storages become on the server is
// runtime.ts's: volumes are made when a deployment starts the container.

import { findApp } from "./application-lookup";
import {
  type Ctx,
  has,
  json,
  message,
  onItem,
  type Reply,
  SERVER_ERROR,
  validationFailed,
  validationFailedStrings,
} from "./http";
import type { Application, FileStorage, PersistentStorage, Row } from "./state";
import { newUuid } from "./state";

/** ValidationPatterns::VOLUME_NAME_PATTERN and DIRECTORY_PATH_PATTERN. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const DIRECTORY_PATH = /^\/([a-zA-Z0-9._\-/~@+]*)?$/;
const APP_MODEL = "App\\Models\\Application";
/** application_configuration_dir() */
const CONFIG_DIR = "/data/coolify/applications";

// GET and PATCH answer "Application not found" without a full stop, POST and DELETE with one.
const onAppNoPeriod = onItem(findApp, "Application not found");
const onAppPeriod = onItem(findApp, "Application not found.");

/** The model mutators: trimmed, with a leading slash. */
function withLeadingSlash(v: string): string {
  const t = v.trim();
  return t.startsWith("/") ? t : `/${t}`;
}

/** validateShellSafePath (bootstrap/helpers/shared.php 136-164). */
function shellUnsafe(input: string, context: string): string | undefined {
  const chars: [string, string][] = [
    ["`", "backtick (command substitution)"],
    ["$(", "command substitution"],
    ["${", "variable substitution with potential command injection"],
    ["|", "pipe operator"],
    ["&", "background/AND operator"],
    [";", "command separator"],
    ["\n", "newline (command separator)"],
    ["\r", "carriage return"],
    ["\t", "tab (token separator)"],
    [">", "output redirection"],
    ["<", "input redirection"],
  ];
  for (const [c, what] of chars) {
    if (input.includes(c))
      return `Invalid ${context}: contains forbidden character '${c}' (${what}). Shell metacharacters are not allowed for security reasons.`;
  }
  return undefined;
}

/** validateFileMountPath: shell-safe, no NUL or backslash, no '.'/'..' segments; normalised. */
function fileMountPath(input: string, context: string): { path: string } | { error: string } {
  const unsafe = shellUnsafe(input, context);
  if (unsafe) return { error: unsafe };
  if (input.includes("\0"))
    return {
      error: `Invalid ${context}: contains null byte. Null bytes are not allowed in file mount paths for security reasons.`,
    };
  if (input.includes("\\"))
    return { error: `Invalid ${context}: backslash directory separators are not allowed.` };
  const path = withLeadingSlash(input).replace(/\/+/g, "/");
  if (path.split("/").some((seg) => seg === "." || seg === ".."))
    return { error: `Invalid ${context}: relative path segments ('.' or '..') are not allowed.` };
  return { path };
}

/** validateHostFileMountPath: an absolute path to a file. */
function hostFilePath(input: string, context: string): { path: string } | { error: string } {
  const unsafe = shellUnsafe(input, context);
  if (unsafe) return { error: unsafe };
  if (input.includes("\0")) return { error: `Invalid ${context}: contains null byte.` };
  if (input.includes("\\"))
    return { error: `Invalid ${context}: backslash directory separators are not allowed.` };
  const path = input.trim().replace(/\/+/g, "/");
  if (!path.startsWith("/")) return { error: `Invalid ${context}: must be an absolute path.` };
  if (path === "/" || path.endsWith("/"))
    return { error: `Invalid ${context}: must point to a file, not a directory.` };
  if (path.split("/").some((seg) => seg === "." || seg === ".."))
    return { error: `Invalid ${context}: relative path segments ('.' or '..') are not allowed.` };
  return { path };
}

/** A Laravel rule: the message when the value fails it (`field` with spaces), else undefined. */
type Rule = (v: unknown, field: string) => string | undefined;

/** `string` (and `nullable`): without nullable a null fails too. */
const stringRule =
  (nullable = false): Rule =>
  (v, field) =>
    typeof v === "string" || (nullable && v === null) ? undefined : `The ${field} field must be a string.`;
const boolRule: Rule = (v, field) =>
  typeof v === "boolean" || v === 0 || v === 1 || v === "0" || v === "1"
    ? undefined
    : `The ${field} field must be true or false.`;

/** customApiValidator with the rules, then the unknown-field check: 422 shape (a) messages. */
function validate(body: Row, rules: Record<string, Rule[]>, required: string[]) {
  const errors: Record<string, string[]> = {};
  const add = (f: string, m: string) => {
    errors[f] = [...(errors[f] ?? []), m];
  };
  for (const f of required)
    if (body[f] === undefined || body[f] === null || body[f] === "") add(f, "This field is required.");
  for (const [f, checks] of Object.entries(rules)) {
    if (!has(body, f) || errors[f]) continue;
    for (const check of checks) {
      const m = check(body[f], f.replace(/_/g, " "));
      if (m) {
        add(f, m);
        break;
      }
    }
  }
  for (const k of Object.keys(body)) if (!(k in rules)) add(k, "This field is not allowed.");
  return Object.keys(errors).length ? errors : null;
}

const typeRule: Rule = (v) =>
  v === "persistent" || v === "file" ? undefined : "The selected type is invalid.";
const pattern =
  (re: RegExp): Rule =>
  (v, field) =>
    typeof v === "string" && !re.test(v) ? `The ${field} field format is invalid.` : undefined;

const CREATE_RULES: Record<string, Rule[]> = {
  type: [stringRule(), typeRule],
  name: [stringRule(), pattern(VOLUME_NAME)],
  mount_path: [stringRule()],
  host_path: [stringRule(true), pattern(DIRECTORY_PATH)],
  content: [stringRule(true)],
  is_directory: [boolRule],
  is_host_file: [boolRule],
  fs_path: [stringRule()],
};

const UPDATE_RULES: Record<string, Rule[]> = {
  uuid: [stringRule()],
  id: [
    (v: unknown) =>
      Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v))
        ? undefined
        : "The id field must be an integer.",
  ],
  type: [stringRule(), typeRule],
  is_preview_suffix_enabled: [boolRule],
  name: [stringRule(), pattern(VOLUME_NAME)],
  mount_path: [stringRule()],
  host_path: [stringRule(true), pattern(DIRECTORY_PATH)],
  content: [stringRule(true)],
};

/** Fields sent that do not apply to the type: 422 with string messages. */
function invalidForType(body: Row, fields: string[], type: string): Reply | null {
  const bad = fields.filter((f) => has(body, f));
  if (bad.length === 0) return null;
  return validationFailedStrings(
    Object.fromEntries(bad.map((f) => [f, `Field '${f}' is not valid for type '${type}'.`])),
  );
}

const truthy = (v: unknown) => v === true || v === 1 || v === "1" || v === "true";

/** File storages: content only for sensitive tokens ($hidden), is_binary/is_too_large appended. */
function fileView(f: FileStorage, sensitive: boolean): Row {
  const { content, ...rest } = f;
  return {
    ...rest,
    ...(sensitive ? { content } : {}),
    is_binary: false,
    is_too_large: false,
  };
}

function storagesOf(ctx: Ctx, app: Application) {
  const s = ctx.core.store;
  return {
    persistent: s.persistentStorages.filter((p) => p.resource_id === app.id).sort((a, b) => a.id - b.id),
    file: s.fileStorages.filter((f) => f.resource_id === app.id).sort((a, b) => a.id - b.id),
  };
}

export const listStorages = onAppNoPeriod((ctx, app) => {
  const { persistent, file } = storagesOf(ctx, app);
  return json(200, {
    persistent_storages: persistent.map((p) => ({ ...p })),
    file_storages: file.map((f) => fileView(f, ctx.sensitive)),
  });
});

export const createStorage = onAppPeriod((ctx, app) => {
  const b = ctx.body;
  const errors = validate(b, CREATE_RULES, ["type", "mount_path"]);
  if (errors) return validationFailed(errors);
  const s = ctx.core.store;
  const ts = ctx.core.stamp();
  if (b.type === "persistent") {
    if (!b.name)
      return validationFailedStrings({ name: "The name field is required for persistent storages." });
    const bad = invalidForType(b, ["content", "is_directory", "is_host_file", "fs_path"], "persistent");
    if (bad) return bad;
    const name = `${app.uuid}-${String(b.name)}`;
    // Unique index (name, resource_id, resource_type): a duplicate is a QueryException, a 500.
    if (s.persistentStorages.some((p) => p.resource_id === app.id && p.name === name)) return SERVER_ERROR;
    const hostPath =
      typeof b.host_path === "string" && b.host_path.trim() ? withLeadingSlash(b.host_path) : null;
    const row: PersistentStorage = {
      id: s.nextId("local_persistent_volumes"),
      uuid: newUuid(),
      name,
      mount_path: withLeadingSlash(String(b.mount_path)),
      host_path: hostPath,
      container_id: null,
      resource_type: APP_MODEL,
      resource_id: app.id,
      is_preview_suffix_enabled: true,
      created_at: ts,
      updated_at: ts,
    };
    s.persistentStorages.push(row);
    // The create response is the model as created: the columns with database defaults are absent.
    const { container_id: _c, is_preview_suffix_enabled: _p, ...created } = row;
    return json(201, {
      name: created.name,
      mount_path: created.mount_path,
      host_path: created.host_path,
      resource_id: created.resource_id,
      resource_type: created.resource_type,
      uuid: created.uuid,
      updated_at: created.updated_at,
      created_at: created.created_at,
      id: created.id,
    });
  }

  const bad = invalidForType(b, ["name", "host_path"], "file");
  if (bad) return bad;
  const isDirectory = truthy(b.is_directory);
  const isHostFile = truthy(b.is_host_file);
  if (isDirectory && isHostFile)
    return validationFailedStrings({ is_host_file: "Host file mounts cannot also be directory mounts." });
  let fsPath: string;
  let mountPath: string;
  let content: string | null = null;
  if (isDirectory) {
    if (!b.fs_path)
      return validationFailedStrings({ fs_path: "The fs_path field is required for directory mounts." });
    fsPath = withLeadingSlash(String(b.fs_path));
    mountPath = withLeadingSlash(String(b.mount_path));
    // validateShellSafePath runs outside a try here: a bad character is an uncaught exception.
    if (shellUnsafe(fsPath, "storage source path") || shellUnsafe(mountPath, "storage destination path"))
      return SERVER_ERROR;
  } else if (isHostFile) {
    if (!b.fs_path)
      return validationFailedStrings({ fs_path: "The fs_path field is required for host file mounts." });
    if (typeof b.content === "string" && b.content.trim() !== "")
      return validationFailedStrings({ content: "Content is not valid for host file mounts." });
    const host = hostFilePath(String(b.fs_path), "host file source path");
    if ("error" in host) return validationFailedStrings({ mount_path: host.error });
    const mount = fileMountPath(String(b.mount_path), "host file destination path");
    if ("error" in mount) return validationFailedStrings({ mount_path: mount.error });
    fsPath = host.path;
    mountPath = mount.path;
  } else {
    const mount = fileMountPath(String(b.mount_path), "file storage path");
    if ("error" in mount) return validationFailedStrings({ mount_path: mount.error });
    mountPath = mount.path;
    // confineFileMountPath: under the application's configuration directory.
    fsPath = `${CONFIG_DIR}/${app.uuid}${mountPath}`;
    content = typeof b.content === "string" ? b.content : null;
  }
  // Unique index (mount_path, resource_id, resource_type).
  if (s.fileStorages.some((f) => f.resource_id === app.id && f.mount_path === mountPath)) return SERVER_ERROR;
  const row: FileStorage = {
    id: s.nextId("local_file_volumes"),
    uuid: newUuid(),
    fs_path: fsPath,
    mount_path: mountPath,
    content,
    resource_type: APP_MODEL,
    resource_id: app.id,
    is_directory: isDirectory,
    is_host_file: isHostFile,
    chown: null,
    chmod: null,
    is_based_on_git: false,
    is_preview_suffix_enabled: true,
    created_at: ts,
    updated_at: ts,
  };
  s.fileStorages.push(row);
  return json(201, fileView(row, ctx.sensitive));
});

export const updateStorage = onAppNoPeriod((ctx, app) => {
  const b = ctx.body;
  const errors = validate(b, UPDATE_RULES, ["type"]);
  if (errors) return validationFailed(errors);
  if (!b.uuid && !b.id) return validationFailedStrings({ uuid: "Either uuid or id is required." });
  const { persistent, file } = storagesOf(ctx, app);
  const match = (r: { uuid: string; id: number }) => (b.uuid ? r.uuid === b.uuid : r.id === Number(b.id));
  const storage = b.type === "persistent" ? persistent.find(match) : file.find(match);
  if (!storage) return message(404, "Storage not found.");
  const bad =
    b.type === "persistent"
      ? invalidForType(b, ["content"], "persistent")
      : invalidForType(b, ["name", "host_path"], "file");
  if (bad) return bad;
  if (has(b, "is_preview_suffix_enabled"))
    storage.is_preview_suffix_enabled = truthy(b.is_preview_suffix_enabled);
  if (has(b, "mount_path") && typeof b.mount_path === "string")
    storage.mount_path = withLeadingSlash(b.mount_path);
  if (b.type === "persistent") {
    const p = storage as PersistentStorage;
    // Stored verbatim: without the `<app-uuid>-` prefix POST adds, so a rename points the app at
    // another volume on the next deployment (the data stays in the old one).
    if (has(b, "name") && typeof b.name === "string") p.name = b.name;
    if (has(b, "host_path"))
      p.host_path =
        typeof b.host_path === "string" && b.host_path.trim() ? withLeadingSlash(b.host_path) : null;
  } else if (has(b, "content")) {
    // Only the row changes; the file is written on the next deployment.
    (storage as FileStorage).content = typeof b.content === "string" ? b.content : null;
  }
  storage.updated_at = ctx.core.stamp();
  return json(
    200,
    b.type === "persistent" ? { ...storage } : fileView(storage as FileStorage, ctx.sensitive),
  );
});

export const deleteStorage = onAppPeriod((ctx, app) => {
  const s = ctx.core.store;
  const id = ctx.params.storage_uuid;
  const p = s.persistentStorages.find((x) => x.resource_id === app.id && x.uuid === id);
  const f = p ? undefined : s.fileStorages.find((x) => x.resource_id === app.id && x.uuid === id);
  if (!p && !f) return message(404, "Storage not found.");
  // The docker volume of a persistent storage stays on the server; only the row goes.
  if (p) s.persistentStorages = s.persistentStorages.filter((x) => x !== p);
  if (f) s.fileStorages = s.fileStorages.filter((x) => x !== f);
  return message(200, "Storage deleted.");
});
