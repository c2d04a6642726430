// TlsDomain with Pulumi mocks: which child it creates, with which inputs and dependencies.
import { Deployment } from "@eliza-coolify/coolify";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { TlsDomain } from "../../components/tls-domain";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

const registered: Registered[] = [];
const CHECK_TYPE = "pulumi-nodejs:dynamic/coolify:CertificateCheck";
const DEPLOYMENT_TYPE = "pulumi-nodejs:dynamic/coolify:Deployment";

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** The mocks' newResource sees inputs only; the monitor request also has parent and dependencies. */
function recordRegistrations(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: unknown): unknown;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    registered.push({
      type: req.getType(),
      name: req.getName(),
      inputs: req.getObject()?.toJavaScript() ?? {},
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
    });
    return original(req, cb);
  };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(fn: (v: { getUrnsList(): string[] }, k: string) => void): void };
}

describe("TlsDomain", () => {
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          if (args.type === DEPLOYMENT_TYPE) {
            return { id: "dep-7", state: { ...args.inputs, deploymentUuid: "dep-7", status: "finished" } };
          }
          if (args.type === CHECK_TYPE) {
            return {
              id: "agent.example.test",
              state: {
                ...args.inputs,
                validTo: "2027-01-01T00:00:00.000Z",
                issuer: "CN=R11, O=Let's Encrypt",
              },
            };
          }
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "eliza",
      "dev",
      false,
    );
    recordRegistrations();
  });

  it("creates a CertificateCheck that waits for the deployment and re-checks on each redeploy", async () => {
    const deployment = new Deployment("agent-deploy", {
      applicationUuid: "app-1",
      triggers: { domains: "https://agent.example.test" },
    });
    const domain = new TlsDomain("agent-tls", {
      url: "https://agent.example.test",
      deployment,
      minValidDays: 21,
      timeoutSeconds: 300,
      connectTo: "203.0.113.7:443",
    });

    expect(await value(domain.url)).toBe("https://agent.example.test");
    expect(await value(domain.validTo)).toBe("2027-01-01T00:00:00.000Z");
    expect(await value(domain.issuer)).toBe("CN=R11, O=Let's Encrypt");

    const deploymentUrn = await value(deployment.urn);
    const domainUrn = await value(domain.urn);
    expect(domainUrn).toContain("eliza-coolify:index:TlsDomain::agent-tls");

    const checks = registered.filter((r) => r.type === CHECK_TYPE);
    expect(checks).toHaveLength(1);
    const check = checks[0] as Registered;
    expect(check.name).toBe("agent-tls-certificate");
    expect(check.parent).toBe(domainUrn);
    expect(check.dependencies).toContain(deploymentUrn);
    expect(check.propertyDependencies.triggers).toContain(deploymentUrn);
    expect(check.inputs).toMatchObject({
      url: "https://agent.example.test",
      minValidDays: 21,
      timeoutSeconds: 300,
      connectTo: "203.0.113.7:443",
      triggers: { deploymentUuid: "dep-7" },
    });
    expect(check.inputs).not.toHaveProperty("caCertificate");
    // `__provider` is the one-line provider text, not the implementation.
    expect(String(check.inputs.__provider)).toContain("@eliza-coolify/coolify");
    expect(String(check.inputs.__provider).length).toBeLessThan(200);
  });
});
