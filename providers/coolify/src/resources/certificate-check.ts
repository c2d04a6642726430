import * as tls from "node:tls";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { caCertificateSchema, connectToSchema, parseHostPort, trustedCAs } from "../provider/connect-to";
import { changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { pollScale, sleep } from "../provider/poll";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

const DAY_MS = 86_400_000;
/** "host:port", "1.2.3.4:443" or "[::1]:8443". */

function httpsUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an absolute URL such as https://agent.example.com";
  }
  if (parsed.protocol !== "https:") return "must start with https:// (an http:// domain gets no certificate)";
  if (!parsed.hostname) return "needs a host name";
  return undefined;
}

export const CertificateCheckInputsSchema = z.object({
  /** The https domain; its host name is what the certificate must be valid for. */
  url: z.string().superRefine((u, ctx) => {
    const problem = httpsUrlProblem(u);
    if (problem) ctx.addIssue({ code: "custom", message: `${u}: ${problem}` });
  }),
  /** Fail when the served certificate expires within this many days. */
  minValidDays: z.number().int().min(0).max(365).default(14),
  /** Upper bound for waiting on a valid certificate, in seconds. */
  timeoutSeconds: z.number().int().min(1).max(7200).default(600),
  /** Connect here instead of the URL's host on port 443 (one server behind DNS, or tests). */
  connectTo: connectToSchema,
  /** A PEM CA certificate trusted in addition to the system CAs (a local CA in tests). */
  caCertificate: caCertificateSchema,
  /** Any change here checks again, e.g. the uuid of the deployment that applied the domain. */
  triggers: z.record(z.string(), z.string()).default({}),
});
export type CertificateCheckInputs = z.infer<typeof CertificateCheckInputsSchema>;

export interface CertificateCheckArgs {
  url: pulumi.Input<string>;
  minValidDays?: pulumi.Input<number>;
  timeoutSeconds?: pulumi.Input<number>;
  connectTo?: pulumi.Input<string>;
  caCertificate?: pulumi.Input<string>;
  triggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** What one TLS handshake showed. */
interface ServedCertificate {
  subject: string;
  issuer: string;
  altNames: string[];
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  /** Why the certificate is not acceptable; undefined when it is. */
  problem?: string;
}

/** Where to connect: the URL's host on 443 (the port in a Coolify domain is the container's), or connectTo. */
function connectTarget(i: Pick<CertificateCheckInputs, "url" | "connectTo">): {
  hostname: string;
  host: string;
  port: number;
} {
  const hostname = new URL(i.url).hostname;
  const target = i.connectTo ? parseHostPort(i.connectTo) : undefined;
  return target ? { hostname, ...target } : { hostname, host: hostname, port: 443 };
}

function formatName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return "";
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : v}`)
    .join(", ");
}

function altNamesOf(cert: tls.PeerCertificate): string[] {
  if (!cert.subjectaltname) return [];
  return cert.subjectaltname
    .split(/,\s*/)
    .map((n) => n.replace(/^DNS:/, "").replace(/^IP Address:/, ""))
    .filter(Boolean);
}

function isoDate(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}

/**
 * Judges a served certificate: the chain must verify against the trusted CAs (the socket's own
 * verdict), the name must match (tls.checkServerIdentity), and it must not expire within
 * minValidDays.
 */
function judgeCertificate(
  cert: tls.PeerCertificate,
  chainError: string | undefined,
  hostname: string,
  minValidDays: number,
  now = Date.now(),
): ServedCertificate {
  const served: ServedCertificate = {
    subject: formatName(cert.subject as unknown as Record<string, string>),
    issuer: formatName(cert.issuer as unknown as Record<string, string>),
    altNames: altNamesOf(cert),
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    fingerprint256: cert.fingerprint256,
  };
  const problems: string[] = [];
  if (chainError) problems.push(`not trusted: ${chainError}`);
  const identityError = tls.checkServerIdentity(hostname, cert);
  if (identityError) problems.push(`not valid for ${hostname}: ${identityError.message}`);
  const expires = Date.parse(cert.valid_to);
  if (!chainError && !identityError && !(expires - now >= minValidDays * DAY_MS)) {
    const days = Math.floor((expires - now) / DAY_MS);
    problems.push(
      days < 0
        ? `expired on ${served.validTo}`
        : `expires on ${served.validTo}, in ${days} days, less than minValidDays (${minValidDays})`,
    );
  }
  if (problems.length) served.problem = problems.join("; ");
  return served;
}

/**
 * One TLS handshake, SNI = the domain's host name. Verification is never switched off: the
 * socket verifies chain and name as usual, and rejectUnauthorized is false only so that a
 * certificate that fails can still be read and described; the check fails unless
 * socket.authorized. Nothing is sent over the connection.
 */
function handshake(
  target: { hostname: string; host: string; port: number },
  i: CertificateCheckInputs,
  timeoutMs: number,
): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      servername: target.hostname,
      // The CAs Node trusts anyway (bundled, system, NODE_EXTRA_CA_CERTS) plus the given one.
      ca: trustedCAs(i.caCertificate),
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy(new Error(`no TLS handshake within ${Math.round(timeoutMs / 1000)} s`));
    });
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const authorized = socket.authorized;
      const verdict = authorized ? undefined : String(socket.authorizationError ?? "not authorized");
      socket.destroy();
      if (!cert?.valid_to) {
        reject(new Error("the server completed the handshake without a certificate"));
        return;
      }
      // A name mismatch is judged (and worded) by judgeCertificate; any other verdict is the chain's.
      const chainError = verdict === "ERR_TLS_CERT_ALTNAME_INVALID" ? undefined : verdict;
      const served = judgeCertificate(cert, chainError, target.hostname, i.minValidDays);
      if (!authorized && !served.problem) served.problem = `not trusted: ${verdict}`;
      resolve(served);
    });
  });
}

/**
 * Let's Encrypt issues the certificate some seconds to minutes after the deploy; meanwhile
 * Traefik serves its self-signed default. Retry on a widening schedule (not Coolify's API, so
 * no request budget, but no reason to hammer the domain either).
 */
const RETRY_MS = [2_000, 5_000, 10_000, 15_000];

function describe(served: ServedCertificate): string {
  return [
    `  subject:   ${served.subject || "(none)"}`,
    `  names:     ${served.altNames.join(", ") || "(no subjectAltName)"}`,
    `  issuer:    ${served.issuer || "(none)"}`,
    `  valid:     ${served.validFrom} to ${served.validTo}`,
    `  problem:   ${served.problem}`,
  ].join("\n");
}

function failure(
  target: { hostname: string; host: string; port: number },
  i: CertificateCheckInputs,
  attempts: number,
  last: ServedCertificate | undefined,
  lastError: Error | undefined,
): Error {
  const where = `${target.host}:${target.port} with SNI ${target.hostname}`;
  const what = last
    ? `The last certificate served was:\n${describe(last)}` +
      (lastError ? `\nThe last attempt did not connect: ${lastError.message}` : "")
    : `No certificate was served: ${lastError?.message ?? "no connection"}`;
  const traefikDefault = /TRAEFIK DEFAULT CERT/i.test(last?.subject ?? "")
    ? "\nThat is the proxy's default certificate: Let's Encrypt has not issued one for this domain yet."
    : "";
  return new Error(
    `${i.url} did not serve a valid certificate within ${i.timeoutSeconds} s (${attempts} attempts, connecting to ${where}).\n` +
      `${what}${traefikDefault}\n` +
      "Check:\n" +
      `  - DNS: an A (and AAAA, if any) record for ${target.hostname} points at the Coolify server;\n` +
      "  - ports 80 and 443 are open on that server (Let's Encrypt's HTTP challenge comes in on 80);\n" +
      "  - the proxy (Traefik or Caddy) is running on that server (Coolify: Servers > Proxy), and its logs;\n" +
      "  - the application's domain is set with https:// and the application was deployed after that.",
  );
}

async function waitForValidCertificate(i: CertificateCheckInputs): Promise<Props> {
  const target = connectTarget(i);
  const scale = pollScale();
  const deadline = Date.now() + i.timeoutSeconds * 1000 * scale;
  let attempts = 0;
  let last: ServedCertificate | undefined;
  let lastError: Error | undefined;
  for (;;) {
    attempts++;
    const handshakeMs = Math.min(10_000, Math.max(1_000, deadline - Date.now()));
    try {
      const served = await handshake(target, i, handshakeMs);
      if (!served.problem) {
        return {
          ...i,
          subject: served.subject,
          issuer: served.issuer,
          altNames: served.altNames,
          validFrom: served.validFrom,
          validTo: served.validTo,
          fingerprint256: served.fingerprint256,
          checkedAt: new Date().toISOString(),
        };
      }
      last = served;
      lastError = undefined;
    } catch (e) {
      // Kept beside (not instead of) what was served before: both help the reader.
      lastError = e instanceof Error ? e : new Error(String(e));
    }
    const delay = Math.max(
      1,
      Math.round((RETRY_MS[Math.min(attempts - 1, RETRY_MS.length - 1)] as number) * scale),
    );
    if (Date.now() + delay > deadline) throw failure(target, i, attempts, last, lastError);
    await sleep(delay);
  }
}

export const certificateCheckImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(CertificateCheckInputsSchema, news);
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, [
      "url",
      "minValidDays",
      "connectTo",
      "caCertificate",
      "triggers",
    ]);
    return {
      changes: changed.length > 0,
      // The id is the host name: another URL is another check.
      replaces: replacedKeys(olds, news, ["url"]),
    };
  },

  async create(raw) {
    const outs = await waitForValidCertificate(raw as unknown as CertificateCheckInputs);
    return { id: connectTarget(raw as unknown as CertificateCheckInputs).hostname, outs };
  },

  async read(id, props) {
    // No network here: a refresh costs one GET per Coolify resource and nothing else (DESIGN),
    // and a certificate Traefik is still renewing would make refresh flap. The check runs
    // again whenever its inputs or triggers change (every redeploy), which catches drift.
    return { id, props };
  },

  async update(_id, _olds, news) {
    return { outs: await waitForValidCertificate(news as unknown as CertificateCheckInputs) };
  },

  async delete() {
    // A check is an observation, not an object: nothing to delete.
  },
};

/**
 * Waits until the https domain serves a certificate that verifies for its host name and does not
 * expire within minValidDays, with a bounded wait. Checks again whenever its triggers change.
 */
export class CertificateCheck extends CoolifyResource {
  declare readonly subject: pulumi.Output<string>;
  declare readonly issuer: pulumi.Output<string>;
  declare readonly altNames: pulumi.Output<string[]>;
  /** ISO 8601. */
  declare readonly validFrom: pulumi.Output<string>;
  /** ISO 8601. */
  declare readonly validTo: pulumi.Output<string>;
  declare readonly fingerprint256: pulumi.Output<string>;
  declare readonly checkedAt: pulumi.Output<string>;

  constructor(name: string, args: CertificateCheckArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Props = {
      ...args,
      subject: undefined,
      issuer: undefined,
      altNames: undefined,
      validFrom: undefined,
      validTo: undefined,
      fingerprint256: undefined,
      checkedAt: undefined,
    };
    super("CertificateCheck", name, props, opts);
  }
}
