import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CoolifyClient } from "../client/client";
import { CoolifyError, isNotFound } from "../client/errors";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith } from "../provider/inputs";
import { isLostResponse } from "../provider/lookup";
import { markerOwner, ownerOf, stripMarker, withMarker } from "../provider/marker";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

/** Coolify's ValidS3BucketName (ValidationPatterns::isValidS3BucketName). */
export function s3BucketProblem(bucket: string): string | undefined {
  const ok =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) &&
    !/\.\.|\.-|-\./.test(bucket) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(bucket);
  return ok
    ? undefined
    : "3-63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit, no '..', '.-' or '-.', not an IP address";
}

export const S3StorageInputsSchema = z.object({
  // Coolify's NAME_PATTERN, 3-255 characters.
  name: z
    .string()
    .min(3)
    .max(255)
    .regex(/^[\p{L}\p{M}\p{N}\s\-_.@/&()#,:+]+$/u, "letters, digits, spaces and - _ . @ / & ( ) # , : +"),
  description: z.string().max(150).default(""),
  endpoint: z
    .string()
    .max(255)
    .refine(
      (v) => /^https?:\/\/[^/\s]+/.test(v),
      "an http(s) URL such as https://s3.eu-central-1.amazonaws.com",
    ),
  bucket: z.string().refine((v) => s3BucketProblem(v) === undefined, { message: s3BucketProblem("") }),
  region: z.string().min(1).max(255).default("us-east-1"),
  accessKey: z.string().min(1).max(255),
  secretKey: z.string().min(1).max(255),
  owner: z.string().min(1),
  adopt: z.boolean().default(false),
});
export type S3StorageInputs = z.infer<typeof S3StorageInputsSchema>;

export interface S3StorageArgs {
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** The S3-compatible endpoint, reachable from the Coolify server (public unless allow-listed there). */
  endpoint: pulumi.Input<string>;
  bucket: pulumi.Input<string>;
  region?: pulumi.Input<string>;
  /** Kept out of state: only a keyed hash is stored. */
  accessKey: pulumi.Input<string>;
  /** Kept out of state: only a keyed hash is stored. */
  secretKey: pulumi.Input<string>;
  adopt?: pulumi.Input<boolean>;
}

const FIELDS = ["name", "description", "endpoint", "bucket", "region"] as const;

/** Keyed hashes of the credentials: state never holds them, and a changed one is still seen. */
function credentialHash(field: "accessKey" | "secretKey", value: string): string {
  return createHash("sha256").update(`s3:${field}\0${value}`).digest("hex");
}

function outputs(i: S3StorageInputs, uuid: string, isUsable: boolean): Props {
  const { accessKey, secretKey, ...rest } = i;
  return {
    ...rest,
    uuid,
    isUsable,
    accessKeyHash: credentialHash("accessKey", accessKey),
    secretKeyHash: credentialHash("secretKey", secretKey),
  };
}

function body(i: S3StorageInputs) {
  return {
    name: i.name,
    description: withMarker(i.description, i.owner),
    endpoint: i.endpoint,
    bucket: i.bucket,
    region: i.region,
    key: i.accessKey,
    secret: i.secretKey,
  };
}

/** What to check, by the words of Coolify's (or the S3 server's) answer. */
function hint(message: string): string {
  if (
    /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|Access Denied|UserNotFound|Forbidden|403/i.test(
      message,
    )
  )
    return "The access key or the secret key is wrong: set them again (stack config eliza-coolify:backupS3AccessKey and, as a secret, eliza-coolify:backupS3SecretKey).";
  if (/NoSuchBucket|404/.test(message))
    return "The bucket does not exist: create it at your S3 provider first (Coolify does not create buckets).";
  if (/Could not connect|timed out|not allowed/i.test(message))
    return "Coolify's server cannot reach the endpoint: check the URL (eliza-coolify:backupS3Endpoint), that the server may reach it through its firewall, and, for a private address, Coolify's allowed internal targets (Settings > Advanced).";
  return "Check the endpoint, bucket, region and credentials (eliza-coolify:backupS3*).";
}

/**
 * Asks Coolify to test the storage (a ListObjectsV2 of the bucket root from its server, which
 * also sets is_usable). Coolify answers 200 either way, so `valid` decides.
 */
async function validate(client: CoolifyClient, uuid: string, i: S3StorageInputs): Promise<void> {
  const r = await client.validateS3Storage(uuid);
  if (r.valid) return;
  throw new CoolifyError(
    "validation",
    `Coolify cannot use the S3 storage "${i.name}" (${i.endpoint}, bucket ${i.bucket}): Coolify's test of it said: ` +
      `${r.message.trim()}\n${hint(r.message)} Then run \`pulumi up\` again.`,
  );
}

/** The storage this program made before (its marker), or an unmarked same-name one to adopt. */
async function findExisting(client: CoolifyClient, i: S3StorageInputs): Promise<string | undefined> {
  const all = await client.listS3Storages();
  const mine = all.find((s) => markerOwner(s.description) === i.owner);
  if (mine) return mine.uuid;
  const sameName = all.find((s) => s.name === i.name && !markerOwner(s.description));
  if (sameName && i.adopt) return sameName.uuid;
  if (sameName) {
    throw new CoolifyError(
      "conflict",
      `A Coolify S3 storage named "${i.name}" already exists (uuid ${sameName.uuid}) and was not created by this ` +
        "program. Rename yours, delete that one, or take it over with `adopt: true` (stack config `eliza-coolify:adopt: true`).",
    );
  }
  return undefined;
}

export const s3StorageImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(S3StorageInputsSchema, news);
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, FIELDS);
    const i = news as unknown as S3StorageInputs;
    // Unknown (preview) credentials count as unchanged: they come from config, known at up.
    const keyChanged =
      typeof i.accessKey === "string" && olds.accessKeyHash !== credentialHash("accessKey", i.accessKey);
    const secretChanged =
      typeof i.secretKey === "string" && olds.secretKeyHash !== credentialHash("secretKey", i.secretKey);
    return { changes: changed.length > 0 || keyChanged || secretChanged, replaces: [] };
  },

  async create(raw) {
    const i = raw as unknown as S3StorageInputs;
    const client = coolifyClient();
    let uuid = await findExisting(client, i);
    if (uuid) {
      await client.updateS3Storage(uuid, body(i));
    } else {
      try {
        uuid = (await client.createS3Storage(body(i))).uuid;
      } catch (e) {
        if (!isLostResponse(e)) throw e;
        // The answer was lost: Coolify may have made it. Its marker says whether it did.
        const found = (await client.listS3Storages()).find((s) => markerOwner(s.description) === i.owner);
        if (!found) throw e;
        uuid = found.uuid;
      }
    }
    try {
      await validate(client, uuid, i);
    } catch (e) {
      // Nothing half-made stays behind: a storage Coolify cannot use is removed again (and the
      // next up would find it by its marker anyway, should this delete fail).
      await client.deleteS3Storage(uuid).catch(() => {});
      throw e;
    }
    return { id: uuid, outs: outputs(i, uuid, true) };
  },

  async read(id, props) {
    try {
      const s3 = await coolifyClient().getS3Storage(id);
      const current: Props = {
        ...props,
        name: s3.name,
        description: stripMarker(s3.description),
        endpoint: s3.endpoint,
        bucket: s3.bucket,
        region: s3.region ?? props.region,
        isUsable: s3.is_usable ?? props.isUsable,
      };
      // With read:sensitive Coolify shows the credentials: compare them by hash.
      if (typeof s3.key === "string") current.accessKeyHash = credentialHash("accessKey", s3.key);
      if (typeof s3.secret === "string") current.secretKeyHash = credentialHash("secretKey", s3.secret);
      return { id, props: current };
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
  },

  async update(id, olds, news) {
    const i = news as unknown as S3StorageInputs;
    const client = coolifyClient();
    const all = body(i);
    const patch: Record<string, unknown> = {};
    for (const k of changedKeys(olds, news, FIELDS)) {
      const field = k as (typeof FIELDS)[number];
      patch[field] = all[field];
    }
    if (olds.accessKeyHash !== credentialHash("accessKey", i.accessKey)) patch.key = i.accessKey;
    if (olds.secretKeyHash !== credentialHash("secretKey", i.secretKey)) patch.secret = i.secretKey;
    await client.updateS3Storage(id, patch);
    // Coolify tests nothing on PATCH and keeps is_usable as it was: test it now.
    try {
      await validate(client, id, i);
    } catch (e) {
      (e as Error).message +=
        "\nCoolify now holds these settings: its backups keep their local copies, but uploads to S3 fail until they work.";
      throw e;
    }
    return { outs: outputs(i, id, true) };
  },

  async delete(id) {
    try {
      // Coolify turns S3 off on every backup that used it; the objects in the bucket stay.
      await coolifyClient().deleteS3Storage(id);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },
};

/** An S3-compatible storage in Coolify for database backups, tested through Coolify when made. */
export class S3Storage extends CoolifyResource {
  declare readonly uuid: pulumi.Output<string>;
  declare readonly isUsable: pulumi.Output<boolean>;

  constructor(name: string, args: S3StorageArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      accessKey: pulumi.secret(args.accessKey),
      secretKey: pulumi.secret(args.secretKey),
      owner: ownerOf(name),
      uuid: undefined,
      isUsable: undefined,
      accessKeyHash: undefined,
      secretKeyHash: undefined,
    };
    super("S3Storage", name, props, { ...opts, additionalSecretOutputs: ["accessKeyHash", "secretKeyHash"] });
  }
}
