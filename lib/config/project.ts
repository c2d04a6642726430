/**
 * Where the stack goes in Coolify and how `pulumi up` reaches it: the project (projectName,
 * projectDescription, environment), the server (serverUuid, destinationUuid) and the network
 * used by the smoke test and TLS check (connectTo, caCertificate).
 */
import { stripUndefined } from "./formats";
import { ns } from "./keys";
import type { Problems } from "./problems";
import type { ConfigValues } from "./values";

export interface ProjectConfig {
  name: string;
  description: string;
  environment: string;
}
export interface ServerConfig {
  uuid?: string;
  destinationUuid?: string;
}
/**
 * How `pulumi up` reaches the agents for the smoke test and the TLS check: `connectTo`
 * ("host:port") instead of DNS, and a PEM CA to trust besides the system ones. For one server
 * behind DNS, a private CA, and the simulator.
 */
export interface NetworkConfig {
  connectTo?: string;
  caCertificate?: string;
}

export function parseProject(values: ConfigValues, problems: Problems, stack: string): ProjectConfig {
  const project = {
    name: values.string("projectName") ?? `eliza-agents-${stack}`,
    description: values.string("projectDescription") ?? `ElizaOS agents (stack ${stack}), managed by Pulumi`,
    environment: values.string("environment") ?? "production",
  };
  if (project.name.trim() === "")
    problems.add(ns("projectName"), "", "must not be empty — omit it for the default");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(project.environment)) {
    problems.add(
      ns("environment"),
      "",
      'must be a Coolify environment name: letters, digits, ".", "_" or "-" (e.g. production)',
    );
  }
  return project;
}

export function parseServer(values: ConfigValues): ServerConfig {
  return stripUndefined({
    uuid: values.string("serverUuid"),
    destinationUuid: values.string("destinationUuid"),
  });
}

export function parseNetwork(values: ConfigValues, problems: Problems): NetworkConfig {
  const network = stripUndefined({
    connectTo: values.string("connectTo"),
    caCertificate: values.string("caCertificate"),
  });
  if (
    network.connectTo !== undefined &&
    !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(network.connectTo)
  ) {
    problems.add(ns("connectTo"), "", "must be host:port, e.g. 203.0.113.7:443 — or remove it to use DNS");
  }
  if (
    network.caCertificate !== undefined &&
    !network.caCertificate.trim().startsWith("-----BEGIN CERTIFICATE-----")
  ) {
    problems.add(ns("caCertificate"), "", "must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)");
  }
  return network;
}
