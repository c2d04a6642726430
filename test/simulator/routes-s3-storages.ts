// S3 storages (Coolify 4.3.11 source, app/Http/Controllers/Api/S3StoragesController.php):
// create and update test nothing; POST /s3-storages/{uuid}/validate lists the bucket
// synchronously and answers 200 {valid, message} either way, setting is_usable.
import { clone } from "./core";
import {
  type Ctx,
  json,
  message,
  onItem,
  type Reply,
  type Route,
  unknownFields,
  validationFailed,
} from "./http";
import { bucketProblem, endpointProblem, testConnection } from "./s3-endpoint";
import { newUuid, type Row, type S3Storage } from "./state";

const ALLOWED = new Set([
  "name",
  "description",
  "endpoint",
  "bucket",
  "region",
  "key",
  "secret",
  "is_usable",
]);
// ValidationPatterns NAME_PATTERN and DESCRIPTION_PATTERN.
const NAME_RE = /^[\p{L}\p{M}\p{N}\s\-_.@/&()#,:+]+$/u;
const DESCRIPTION_RE = /^[\p{L}\p{M}\p{N}\s\-_.,!?()'"+=*@/&]+$/u;

function findS3(ctx: Ctx, uuid: string | undefined): S3Storage | undefined {
  return ctx.core.store.s3Storages.find((s) => s.uuid === uuid && s.team_id === ctx.teamId);
}

const onS3 = onItem(findS3, "S3 storage not found.");

/** The controller's rules; `partial` (PATCH) makes every field optional ("sometimes"). */
function s3Errors(ctx: Ctx, b: Row, partial: boolean): Record<string, string[]> {
  const errors: Record<string, string[]> = { ...(ctx.schemaErrors ?? {}) };
  const add = (f: string, m: string) => {
    errors[f] = [...(errors[f] ?? []), m];
  };
  const present = (f: string) => Object.hasOwn(b, f);
  for (const f of ["name", "endpoint", "bucket", "region", "key", "secret"]) {
    if (!present(f)) {
      if (!partial) add(f, "This field is required.");
      continue;
    }
    const v = b[f];
    if (v === null) {
      // PATCH makes name nullable (a null then fails in the database: 500, not modelled here).
      if (!(partial && f === "name")) add(f, "This field is required.");
      continue;
    }
    if (typeof v !== "string") {
      if (!errors[f]) add(f, `The ${f} field must be a string.`);
      continue;
    }
    if (v.length > 255) add(f, `The ${f} field must not be greater than 255 characters.`);
  }
  if (typeof b.name === "string") {
    if (b.name.length < 3) add("name", "The name field must be at least 3 characters.");
    if (!NAME_RE.test(b.name)) add("name", "The name field format is invalid.");
  }
  if (typeof b.description === "string") {
    if (b.description.length > 255)
      add("description", "The description field must not be greater than 255 characters.");
    if (!DESCRIPTION_RE.test(b.description)) add("description", "The description field format is invalid.");
  }
  if (typeof b.endpoint === "string") {
    const p = endpointProblem(ctx.core, b.endpoint);
    if (p) add("endpoint", p);
  }
  if (present("bucket") && b.bucket !== null) {
    const p = bucketProblem(b.bucket);
    if (p) add("bucket", p);
  }
  for (const [f, m] of Object.entries(unknownFields(b, ALLOWED))) errors[f] = [...(errors[f] ?? []), ...m];
  return errors;
}

/** key and secret are $hidden on the model unless the token may read sensitive data; id always. */
export function s3View(s3: S3Storage, sensitive: boolean): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(s3)) {
    if (k === "id") continue;
    if (!sensitive && (k === "key" || k === "secret")) continue;
    out[k] = clone(v);
  }
  return out;
}

function create(ctx: Ctx): Reply {
  const b = ctx.body;
  const errors = s3Errors(ctx, b, false);
  if (Object.keys(errors).length) return validationFailed(errors);
  const ts = ctx.core.stamp();
  const s3: S3Storage = {
    id: ctx.core.store.nextId("s3_storages"),
    uuid: newUuid(),
    name: String(b.name),
    description: typeof b.description === "string" ? b.description : null,
    region: String(b.region).trim(),
    key: String(b.key).trim(),
    secret: String(b.secret).trim(),
    bucket: String(b.bucket).trim(),
    endpoint: String(b.endpoint).trim(),
    team_id: ctx.teamId,
    created_at: ts,
    updated_at: ts,
    // No connection test on create: the caller's word, or false.
    is_usable: b.is_usable === true || b.is_usable === 1 || b.is_usable === "1",
    unusable_email_sent: false,
  };
  ctx.core.store.s3Storages.push(s3);
  return json(201, { uuid: s3.uuid });
}

function update(ctx: Ctx): Reply {
  const b = ctx.body;
  const errors = s3Errors(ctx, b, true);
  if (Object.keys(errors).length) return validationFailed(errors);
  const s3 = findS3(ctx, ctx.params.uuid);
  if (!s3) return message(404, "S3 storage not found.");
  // Nothing is tested and is_usable is not reset, whatever changed.
  for (const f of ALLOWED) {
    if (!Object.hasOwn(b, f)) continue;
    const v = b[f];
    s3[f] = typeof v === "string" && f !== "name" && f !== "description" ? v.trim() : clone(v);
  }
  s3.updated_at = ctx.core.stamp();
  return json(200, { uuid: s3.uuid });
}

export const s3StorageRoutes: Route[] = [
  {
    method: "GET",
    template: "/s3-storages",
    ability: "read",
    handler: (ctx) =>
      json(
        200,
        ctx.core.store.s3Storages
          .filter((s) => s.team_id === ctx.teamId)
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((s) => s3View(s, ctx.sensitive)),
      ),
  },
  { method: "POST", template: "/s3-storages", ability: "write", bodyCheck: true, handler: create },
  {
    method: "GET",
    template: "/s3-storages/{uuid}",
    ability: "read",
    handler: onS3((ctx, s3) => json(200, s3View(s3, ctx.sensitive))),
  },
  { method: "PATCH", template: "/s3-storages/{uuid}", ability: "write", bodyCheck: true, handler: update },
  {
    method: "DELETE",
    template: "/s3-storages/{uuid}",
    ability: "write",
    handler: onS3((ctx, s3) => {
      const s = ctx.core.store;
      s.s3Storages = s.s3Storages.filter((x) => x !== s3);
      // The model's deleting hook: every backup that used it stops saving to S3.
      for (const b of s.backups) {
        if (b.s3_storage_id !== s3.id) continue;
        b.save_s3 = false;
        b.s3_storage_id = null;
      }
      return message(200, "S3 storage deleted.");
    }),
  },
  {
    method: "POST",
    template: "/s3-storages/{uuid}/validate",
    ability: "write",
    handler: async (ctx) => {
      const s3 = findS3(ctx, ctx.params.uuid);
      if (!s3) return message(404, "S3 storage not found.");
      return json(200, await testConnection(ctx.core, s3));
    },
  },
];
