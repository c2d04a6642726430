// Application environment variables: validation, create with its preview twin, the overwrite
// rules of PATCH and bulk, and the handlers of the /envs routes (notes 4.6, P1-P5).

import { onApp } from "./application-lookup";
import {
  bool,
  type Ctx,
  has,
  json,
  mergeErrors,
  message,
  type Reply,
  unknownFields,
  validationFailed,
} from "./http";
import type { Application, EnvVar, Row } from "./state";
import { newUuid } from "./state";

/** The boolean fields of an environment variable body. */
const ENV_FLAGS = ["is_preview", "is_literal", "is_multiline", "is_shown_once", "is_runtime", "is_buildtime"];
const ENV_ALLOWED = new Set(["key", "value", ...ENV_FLAGS, "comment"]);
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function envFieldErrors(b: Row, keyRequired: boolean): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  if (b.key === undefined || b.key === null) {
    if (keyRequired) errors.key = ["This field is required."];
  } else if (typeof b.key !== "string") errors.key = ["The key field must be a string."];
  else {
    const k = b.key.trim();
    if (k.length > 255) errors.key = ["The key field must not be greater than 255 characters."];
    else if (!KEY_RE.test(k))
      errors.key = [
        "The key must start with a letter or underscore and may only contain letters, numbers, underscores and dots.",
      ];
  }
  if (b.value !== undefined && b.value !== null && typeof b.value !== "string")
    errors.value = ["The value field must be a string."];
  for (const f of ENV_FLAGS) {
    const v = b[f];
    if (v !== undefined && v !== null && ![true, false, 0, 1, "0", "1"].includes(v as never))
      errors[f] = [`The ${f.replace(/_/g, " ")} field must be true or false.`];
  }
  if (b.comment !== undefined && b.comment !== null) {
    if (typeof b.comment !== "string") errors.comment = ["The comment field must be a string."];
    else if (b.comment.length > 256)
      errors.comment = ["The comment field must not be greater than 256 characters."];
  }
  return errors;
}

function appEnvs(ctx: Ctx, app: Application): EnvVar[] {
  return ctx.core.store.envs.filter(
    (e) => e.resourceable_type === "application" && e.resourceable_id === app.id,
  );
}

/** 422 for a one-variable body with bad or unknown fields (POST and PATCH), or null. */
function envBodyInvalid(b: Row): Reply | null {
  const errors = mergeErrors(envFieldErrors(b, true), unknownFields(b, ENV_ALLOWED));
  return errors ? validationFailed(errors) : null;
}

/** The app's variable a body names: by trimmed key and is_preview, never by uuid (P4). */
function envNamedBy(ctx: Ctx, app: Application, b: Row): EnvVar | undefined {
  const key = String(b.key).trim();
  const isPreview = bool(b.is_preview, false);
  return appEnvs(ctx, app).find((e) => e.key === key && e.is_preview === isPreview);
}

const trimValue = (v: unknown): string | null =>
  typeof v === "string" ? v.trim() : v === undefined ? null : (v as null);

export function createEnv(ctx: Ctx, app: Application, b: Row, isPreview: boolean): EnvVar {
  const ts = ctx.core.stamp();
  const env: EnvVar = {
    id: ctx.core.store.nextId("envs"),
    uuid: newUuid(),
    key: String(b.key).trim(),
    value: trimValue(b.value),
    is_preview: isPreview,
    is_literal: bool(b.is_literal, false),
    is_multiline: bool(b.is_multiline, false),
    is_shown_once: bool(b.is_shown_once, false),
    is_runtime: bool(b.is_runtime, true),
    is_buildtime: bool(b.is_buildtime, true),
    is_shared: false,
    is_required: false,
    is_really_required: false,
    is_buildpack_control: false,
    is_coolify: false,
    comment: (b.comment as string | null | undefined) ?? null,
    version: ctx.core.opts.version,
    order: null,
    resourceable_type: "application",
    resourceable_id: app.id,
    created_at: ts,
    updated_at: ts,
  };
  ctx.core.store.envs.push(env);
  // P5: the model's `created` hook adds a preview twin for a production variable.
  if (!isPreview && !appEnvs(ctx, app).some((e) => e.is_preview && e.key === env.key)) {
    createEnv(
      ctx,
      app,
      {
        key: env.key,
        value: env.value,
        is_literal: env.is_literal,
        is_multiline: env.is_multiline,
        is_shown_once: env.is_shown_once,
        is_runtime: env.is_runtime,
        is_buildtime: env.is_buildtime,
      },
      true,
    );
  }
  return env;
}

/** P2/P3 overwrite rules shared by PATCH and bulk (notes 4.6). */
function overwriteEnv(ctx: Ctx, env: EnvVar, b: Row): void {
  env.value = trimValue(b.value); // P2: omitted value becomes null
  env.is_literal = bool(b.is_literal, false); // P3: omitted is_literal resets to false
  env.is_multiline =
    b.is_multiline === undefined || b.is_multiline === null ? null : bool(b.is_multiline, false);
  env.is_shown_once =
    b.is_shown_once === undefined || b.is_shown_once === null ? null : bool(b.is_shown_once, false);
  if (has(b, "is_runtime")) env.is_runtime = bool(b.is_runtime, true);
  if (has(b, "is_buildtime")) env.is_buildtime = bool(b.is_buildtime, true);
  if (has(b, "comment")) env.comment = (b.comment as string | null) ?? null;
  env.updated_at = ctx.core.stamp();
}

// ---------------------------------------------------------------------------- route handlers

export const listEnvs = onApp((ctx, app) => {
  const envs = appEnvs(ctx, app);
  // notes 4.6: all production vars (by id), then all preview vars.
  const ordered = [
    ...envs.filter((e) => !e.is_preview).sort((a, b) => a.id - b.id),
    ...envs.filter((e) => e.is_preview).sort((a, b) => a.id - b.id),
  ];
  return json(
    200,
    ordered.map((e) => ctx.core.envView(e, ctx.sensitive)),
  );
});

export const createEnvVar = onApp((ctx, app) => {
  const b = ctx.body;
  // P1: is_build_time is not an allowed field (422 "This field is not allowed.").
  const invalid = envBodyInvalid(b);
  if (invalid) return invalid;
  if (envNamedBy(ctx, app, b))
    return message(409, "Environment variable already exists. Use PATCH request to update it.");
  const env = createEnv(ctx, app, b, bool(b.is_preview, false));
  return json(201, { uuid: env.uuid });
});

export const bulkUpsertEnvs = onApp((ctx, app) => {
  const data = ctx.body.data;
  if (!Array.isArray(data) || data.length === 0) return message(400, "Bulk data is required.");
  const out: Row[] = [];
  // Upsert item by item, not atomic: the first invalid item answers 422 after earlier ones were saved.
  for (const rawItem of data) {
    const item: Row = {};
    // Unknown keys (including is_build_time, P1) are dropped silently.
    if (rawItem && typeof rawItem === "object")
      for (const [k, v] of Object.entries(rawItem as Row)) if (ENV_ALLOWED.has(k)) item[k] = v;
    const errors = envFieldErrors(item, true);
    if (Object.keys(errors).length) return validationFailed(errors);
    let env = envNamedBy(ctx, app, item);
    if (env) overwriteEnv(ctx, env, item);
    else env = createEnv(ctx, app, { ...item, value: item.value ?? null }, bool(item.is_preview, false));
    out.push(ctx.core.envView(env, ctx.sensitive));
  }
  return json(201, out);
});

export const updateEnvVar = onApp((ctx, app) => {
  const b = ctx.body;
  // P4: found by key; env_uuid/uuid in the body is not allowed.
  const invalid = envBodyInvalid(b);
  if (invalid) return invalid;
  const env = envNamedBy(ctx, app, b);
  if (!env) return message(404, "Environment variable not found.");
  overwriteEnv(ctx, env, b);
  // notes 4.6: 201 (sic) with the full env object.
  return json(201, ctx.core.envView(env, ctx.sensitive));
});

export const deleteEnvVar = onApp((ctx, app) => {
  const env = appEnvs(ctx, app).find((e) => e.uuid === ctx.params.env_uuid);
  if (!env) return message(404, "Environment variable not found.");
  // P5: deleting the production variable leaves its preview twin.
  ctx.core.store.envs = ctx.core.store.envs.filter((e) => e !== env);
  return message(200, "Environment variable deleted.");
});
