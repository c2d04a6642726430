import { CertificateCheck, type Deployment } from "@eliza-coolify/coolify";
import * as pulumi from "@pulumi/pulumi";

export interface TlsDomainArgs {
  /** The https domain, as set on the Application's `domains` (https://agent.example.com). */
  url: pulumi.Input<string>;
  /**
   * The Deployment whose triggers include the application's domains: it redeploys when the
   * domain changes, which is when Coolify writes the proxy labels that request the certificate.
   */
  deployment: Deployment;
  /** Fail when the certificate expires within this many days (default 14). */
  minValidDays?: pulumi.Input<number>;
  /** Upper bound for waiting on Let's Encrypt after the deploy, in seconds (default 600). */
  timeoutSeconds?: pulumi.Input<number>;
  /** "host:port" to connect to instead of the domain's host on 443. */
  connectTo?: pulumi.Input<string>;
  /** A PEM CA certificate to trust in addition to the system CAs. */
  caCertificate?: pulumi.Input<string>;
}

/**
 * An https domain that is proven to serve a valid certificate: after each deployment of the
 * application, waits until the proxy serves a certificate valid for the host name and not about
 * to expire. The domain itself is set on the Application and applied by the Deployment.
 */
export class TlsDomain extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  /** When the served certificate expires (ISO 8601). */
  public readonly validTo: pulumi.Output<string>;
  public readonly issuer: pulumi.Output<string>;
  public readonly check: CertificateCheck;

  constructor(name: string, args: TlsDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("eliza-coolify:index:TlsDomain", name, {}, opts);

    this.check = createCertificateCheck(this, name, args);
    this.url = pulumi.output(args.url);
    this.validTo = this.check.validTo;
    this.issuer = this.check.issuer;

    this.registerOutputs({ url: this.url, validTo: this.validTo, issuer: this.issuer });
  }
}

/** Re-checked on every redeploy: the deployment uuid is a trigger, and the check waits for it. */
function createCertificateCheck(parent: TlsDomain, name: string, args: TlsDomainArgs): CertificateCheck {
  return new CertificateCheck(
    `${name}-certificate`,
    {
      url: args.url,
      minValidDays: args.minValidDays,
      timeoutSeconds: args.timeoutSeconds,
      connectTo: args.connectTo,
      caCertificate: args.caCertificate,
      triggers: { deploymentUuid: args.deployment.deploymentUuid },
    },
    { parent, dependsOn: [args.deployment] },
  );
}
