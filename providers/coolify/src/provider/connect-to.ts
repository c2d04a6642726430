import { rootCertificates } from "node:tls";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";

/**
 * A fetch that connects to `connectTo` ("host:port") instead of the URL's host, while keeping
 * the URL's host name for the Host header and TLS (SNI and certificate check). It checks one
 * server behind DNS, and lets tests reach a local server under a real-looking domain.
 * `caCertificate` is trusted in addition to the system CAs; verification is never turned off.
 */
export function fetchVia(opts: { connectTo?: string; caCertificate?: string }): typeof fetch {
  if (!opts.connectTo && !opts.caCertificate) return globalThis.fetch;
  const target = opts.connectTo ? parseHostPort(opts.connectTo) : undefined;
  const connector = buildConnector({
    ...(opts.caCertificate ? { ca: [...rootCertificates, opts.caCertificate] } : {}),
  });
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

export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new Error(`"${value}" is not host:port (e.g. 127.0.0.1:8443)`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}
