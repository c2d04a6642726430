/**
 * A small S3 client: path-style requests signed with AWS Signature Version 4, for the few calls
 * this project makes (list a bucket, put, get and delete an object). The restore command uses it
 * to download a backup Coolify uploaded, and the simulator uses it to do what Coolify's backup
 * job and S3 validation do. Node built-ins and the global fetch only.
 *
 * Path style (`<endpoint>/<bucket>/<key>`) is what Coolify uses (S3Storage::testConnection builds
 * its disk with use_path_style_endpoint) and what every S3-compatible server accepts.
 */
import { createHash, createHmac } from "node:crypto";

export interface S3Target {
  /** http(s)://host[:port], without the bucket. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
}

/** An S3 error answer: its HTTP status and, when the body said so, S3's code and message. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "S3Error";
  }
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function objectPath(bucket: string, key?: string): string {
  const parts = [bucket, ...(key === undefined ? [] : key.split("/"))];
  return `/${parts.map(rfc3986).join("/")}`;
}

export interface S3RequestOptions {
  method: "GET" | "PUT" | "DELETE" | "HEAD";
  key?: string;
  query?: Record<string, string>;
  body?: Buffer;
  /** Overall bound of the request (default 15 s, Coolify's own S3 timeout). */
  timeoutMs?: number;
  /** The signing time (tests). */
  now?: Date;
}

/** Signs and sends one request; returns the response (any status). */
export async function s3Fetch(t: S3Target, o: S3RequestOptions): Promise<Response> {
  const base = new URL(t.endpoint.replace(/\/+$/, ""));
  const basePath = base.pathname === "/" ? "" : base.pathname;
  const path = basePath + objectPath(t.bucket, o.key);
  const query = Object.entries(o.query ?? {})
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const body = o.body ?? Buffer.alloc(0);
  const payloadHash = sha256(body);
  const amzDate = (o.now ?? new Date()).toISOString().replace(/[:-]|\.\d{3}/g, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    host: base.host,
    "x-amz-content-sha256": payloadHash,
    "x-amz-date": amzDate,
  };
  const signed = Object.keys(headers).sort();
  const canonical = [
    o.method,
    path,
    query,
    ...signed.map((h) => `${h}:${headers[h]}`),
    "",
    signed.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${day}/${t.region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${t.secretKey}`, day), t.region), "s3"), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  const { host: _host, ...sent } = headers;
  return fetch(`${base.origin}${path}${query ? `?${query}` : ""}`, {
    method: o.method,
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${t.accessKey}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`,
    },
    body: o.method === "PUT" ? new Uint8Array(body) : undefined,
    signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
  });
}

async function failIfError(res: Response, what: string): Promise<Response> {
  if (res.ok) return res;
  const text = await res.text().catch(() => "");
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP${res.status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? (text.slice(0, 200) || res.statusText);
  throw new S3Error(res.status, code, `${what}: ${code}: ${message}`);
}

function xmlText(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

export interface S3Object {
  key: string;
  size: number;
  lastModified: string;
}

/** ListObjectsV2 of the bucket (all pages), optionally under a prefix. */
export async function listObjects(t: S3Target, prefix = ""): Promise<S3Object[]> {
  const out: S3Object[] = [];
  let token: string | undefined;
  for (;;) {
    const query: Record<string, string> = { "list-type": "2" };
    if (prefix) query.prefix = prefix;
    if (token) query["continuation-token"] = token;
    const res = await failIfError(await s3Fetch(t, { method: "GET", query }), `list s3://${t.bucket}`);
    const xml = await res.text();
    for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      const c = m[1] ?? "";
      out.push({
        key: xmlText(/<Key>([^<]*)<\/Key>/.exec(c)?.[1] ?? ""),
        size: Number(/<Size>(\d+)<\/Size>/.exec(c)?.[1] ?? 0),
        lastModified: /<LastModified>([^<]*)<\/LastModified>/.exec(c)?.[1] ?? "",
      });
    }
    const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
    if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || !next) return out;
    token = xmlText(next);
  }
}

export async function putObject(t: S3Target, key: string, body: Buffer): Promise<void> {
  await failIfError(await s3Fetch(t, { method: "PUT", key, body }), `put s3://${t.bucket}/${key}`);
}

export async function getObject(t: S3Target, key: string, timeoutMs = 600_000): Promise<Buffer> {
  const res = await failIfError(
    await s3Fetch(t, { method: "GET", key, timeoutMs }),
    `get s3://${t.bucket}/${key}`,
  );
  return Buffer.from(await res.arrayBuffer());
}

export async function deleteObject(t: S3Target, key: string): Promise<void> {
  await failIfError(await s3Fetch(t, { method: "DELETE", key }), `delete s3://${t.bucket}/${key}`);
}

/** PUT of the bucket itself (CreateBucket); an existing bucket of ours counts as made. */
export async function createBucket(t: S3Target): Promise<void> {
  const res = await s3Fetch(t, { method: "PUT" });
  if (res.ok) return;
  const text = await res.text().catch(() => "");
  if (/BucketAlreadyOwnedByYou/.test(text)) return;
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP${res.status}`;
  throw new S3Error(res.status, code, `create bucket ${t.bucket}: ${code}`);
}
