// A throwaway CA and a server certificate for the test's hostname, made with the openssl CLI. The
// proxy serves the certificate as its default (Coolify's Traefik would get one from Let's Encrypt,
// which needs DNS and the internet); the clients trust the CA, so TLS is verified for real.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificate {
  caPem: string;
  certFile: string;
  keyFile: string;
}

export function makeCertificate(dir: string, host: string): TestCertificate {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=front-door test CA",
  );
  openssl("req", "-new", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${host}`);
  writeFileSync(
    join(dir, "server.ext"),
    `subjectAltName=DNS:${host}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  );
  return {
    caPem: readFileSync(join(dir, "ca.crt"), "utf8"),
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
  };
}
