// What Coolify checks of an S3 storage's endpoint and bucket, and its connection test
// (Coolify 4.3.11 source: app/Rules/SafeWebhookUrl.php, app/Rules/ValidS3BucketName.php,
// app/Models/S3Storage.php testConnection).
import { isIP } from "node:net";
import { listObjects, S3Error } from "../../lib/s3";
import type { Core } from "./core";
import type { S3Storage } from "./state";

/** The settings page the refusal points to (route('settings.advanced') on the simulated instance). */
const SETTINGS_URL = "http://localhost:8000/settings/advanced#endpoint-section";

function isPrivateOrLoopback(ip: string): boolean {
  if (isIP(ip) === 6) {
    const v = ip.toLowerCase();
    return v === "::1" || v === "::" || v.startsWith("fc") || v.startsWith("fd") || v.startsWith("fe80");
  }
  const [a = 0, b = 0] = ip.split(".").map(Number);
  return (
    a === 10 ||
    a === 127 ||
    a === 0 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/**
 * SafeWebhookUrl: a valid http(s) URL whose host is not loopback, private or link-local, nor
 * localhost / *.local / *.internal, unless the instance admin allow-listed it. Returns the
 * failure message or null. A host name other than those is taken as resolving to a public
 * address: the simulator does no DNS (this machine has no network but loopback).
 */
export function endpointProblem(core: Core, value: unknown, attribute = "endpoint"): string | null {
  if (typeof value !== "string") return `The ${attribute} must be a valid URL.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `The ${attribute} must be a valid URL.`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `The ${attribute} must use the http or https scheme.`;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (!host) return `The ${attribute} must contain a valid host.`;
  if (host.endsWith(".")) return `The ${attribute} host must not end with a trailing dot.`;
  const trusted = (core.opts.trustedInternalHosts ?? []).map((h) => h.toLowerCase());
  const refused = `The ${attribute} points to a local or private address that is not allowed. Configure allowed internal targets: ${SETTINGS_URL}`;
  const blockedName =
    host === "localhost" ||
    host.endsWith(".local") ||
    host.endsWith(".internal") ||
    host.endsWith(".cluster.local");
  if (blockedName && !trusted.includes(host)) return refused;
  if (isIP(host)) {
    if (isPrivateOrLoopback(host) && !trusted.includes(host)) {
      return host.startsWith("169.254.") || host.startsWith("fe80")
        ? `The ${attribute} must not point to link-local addresses.`
        : refused;
    }
  }
  return null;
}

/** ValidS3BucketName (ValidationPatterns::isValidS3BucketName). */
export function bucketProblem(value: unknown): string | null {
  const ok =
    typeof value === "string" &&
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) &&
    !/\.\.|\.-|-\./.test(value) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(value);
  return ok
    ? null
    : "The bucket must be a valid S3 bucket name: 3-63 lowercase letters, numbers, dots, or hyphens; start and end with a letter or number; no consecutive dots, dot-hyphen pairs, or IP address format.";
}

const CONNECT_FAILED =
  "Could not connect to the S3 endpoint within 15 seconds. Please verify the endpoint, bucket, credentials, region, and network/firewall settings.";

/** The host of an endpoint the simulator may really connect to: loopback, allow-listed. */
function reachable(core: Core, endpoint: string): boolean {
  const host = new URL(endpoint).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const trusted = (core.opts.trustedInternalHosts ?? []).map((h) => h.toLowerCase());
  return trusted.includes(host) && (host === "localhost" || (isIP(host) !== 0 && isPrivateOrLoopback(host)));
}

/**
 * S3Storage::testConnection(shouldSave: true): the endpoint and bucket checked again, then a
 * ListObjectsV2 of the bucket root (listing only; write permission is not tested). Sets
 * is_usable; the first failure also "emails" the admins (unusable_email_sent). Only hosts on
 * this machine are really contacted; any other host cannot be reached from here and fails as
 * Coolify's 15 s timeout does.
 */
export async function testConnection(
  core: Core,
  s3: S3Storage,
): Promise<{ valid: boolean; message: string }> {
  let result: { valid: boolean; message: string };
  const endpointWrong = endpointProblem(core, s3.endpoint);
  const bucketWrong = bucketProblem(s3.bucket);
  if (endpointWrong) result = { valid: false, message: `S3 endpoint is not allowed: ${endpointWrong}` };
  else if (bucketWrong) result = { valid: false, message: `S3 bucket name is not allowed: ${bucketWrong}` };
  else if (!reachable(core, s3.endpoint)) result = { valid: false, message: CONNECT_FAILED };
  else {
    try {
      await listObjects({
        endpoint: s3.endpoint,
        bucket: s3.bucket,
        region: s3.region,
        accessKey: s3.key,
        secretKey: s3.secret,
      });
      result = { valid: true, message: "S3 storage connection is valid." };
    } catch (e) {
      result = { valid: false, message: s3FailureMessage(s3, e) };
    }
  }
  s3.is_usable = result.valid;
  if (result.valid) s3.unusable_email_sent = false;
  else if (!s3.unusable_email_sent) s3.unusable_email_sent = true;
  s3.updated_at = core.stamp();
  return result;
}

/** The message Flysystem's AWS adapter gives for a failed listing (raw, as Coolify passes it on). */
function s3FailureMessage(s3: S3Storage, e: unknown): string {
  if (!(e instanceof S3Error)) return CONNECT_FAILED;
  const url = `${s3.endpoint.replace(/\/+$/, "")}/${s3.bucket}?list-type=2&prefix=&delimiter=%2F`;
  return (
    `Unable to list contents for '', shallow listing\n\nReason: Error executing "ListObjectsV2" on "${url}"; ` +
    `AWS HTTP error: Client error: \`GET ${url}\` resulted in a \`${e.status}\` response (client): ${e.message.replace(/^[^:]*: /, "")}`
  );
}
