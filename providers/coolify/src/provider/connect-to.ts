import * as tls from "node:tls";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { z } from "zod";

// Where `pulumi up` connects to check an agent (smoke test, certificate): a domain's DNS
// address by default, or `connectTo` ("host:port") with the domain still naming the host for
// the Host header, SNI and the certificate check. That checks one server behind DNS, and lets
// tests reach a local server under a real-looking domain.

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) return undefined;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

export const connectToSchema = z
  .string()
  .refine(
    (v) => parseHostPort(v) !== undefined,
    'must be "host:port", such as "203.0.113.7:443" or "[::1]:8443"',
  )
  .optional();

export const caCertificateSchema = z
  .string()
  .includes("-----BEGIN CERTIFICATE-----", {
    message: "must be a PEM certificate (-----BEGIN CERTIFICATE-----)",
  })
  .optional();

/**
 * The CAs Node trusts anyway (bundled, system, NODE_EXTRA_CA_CERTS) plus `extra`; undefined
 * (Node's default) without one. Verification is never turned off. A named function reference,
 * not `tls.getCACertificates` on an `import *` object: TypeScript's import helper copies only
 * enumerable properties, and that one is not.
 */
export function trustedCAs(extra: string | undefined): string[] | undefined {
  if (!extra) return undefined;
  const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  const defaults =
    typeof getCACertificates === "function" ? getCACertificates("default") : tls.rootCertificates;
  return [...defaults, extra];
}

/** A fetch that connects to `connectTo` and trusts `caCertificate` (see above). */
export function fetchVia(opts: { connectTo?: string; caCertificate?: string }): typeof fetch {
  if (!opts.connectTo && !opts.caCertificate) return globalThis.fetch;
  const target = opts.connectTo ? parseHostPort(opts.connectTo) : undefined;
  const ca = trustedCAs(opts.caCertificate);
  const connector = buildConnector(ca ? { ca } : {});
  const agent = new Agent({
    connect: (o, cb) =>
      connector(
        {
          ...o,
          hostname: target?.host ?? o.hostname,
          port: target ? String(target.port) : o.port,
          servername: o.servername ?? o.hostname,
        },
        cb,
      ),
  });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
}
