import { agentSmokeTestImpl } from "../resources/agent-smoke-test";
import { applicationImpl } from "../resources/application";
import { certificateCheckImpl } from "../resources/certificate-check";
import { deploymentImpl } from "../resources/deployment";
import { envVarsImpl } from "../resources/env-vars";
import { postgresDatabaseImpl } from "../resources/postgres-database";
import { projectImpl } from "../resources/project";
import { randomSecretImpl } from "../resources/random-secret";
import { explainWithVersion, setConfiguredCredentials } from "./context";
import type { ResourceImpl } from "./types";

const implementations: Record<string, ResourceImpl> = {
  Project: projectImpl,
  Application: applicationImpl,
  PostgresDatabase: postgresDatabaseImpl,
  EnvVars: envVarsImpl,
  Deployment: deploymentImpl,
  RandomSecret: randomSecretImpl,
  AgentSmokeTest: agentSmokeTestImpl,
  CertificateCheck: certificateCheckImpl,
};

/**
 * Drops undefined values, deeply: the provider host turns results into protobuf Structs, which
 * reject undefined ("Unexpected struct type"), and an absent key means the same thing.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}

const cleaned = new Map<string, ResourceImpl>();

/** Every implementation as the shims get it: results cleaned, version-related errors explained. */
function clean(impl: ResourceImpl): ResourceImpl {
  return {
    check: async (olds, news) => withoutUndefined(await impl.check(olds, news)),
    diff: (id, olds, news) => impl.diff(id, olds, news),
    create: async (inputs) => withoutUndefined(await impl.create(inputs).catch(explainWithVersion)),
    read: async (id, props) => withoutUndefined(await impl.read(id, props).catch(explainWithVersion)),
    update: async (id, olds, news) =>
      withoutUndefined(await impl.update(id, olds, news).catch(explainWithVersion)),
    delete: (id, props) => impl.delete(id, props).catch(explainWithVersion),
  };
}

/** Called by the serialized shims (provider/shim.ts) in the provider process. */
export function implementationOf(type: string): ResourceImpl {
  const cached = cleaned.get(type);
  if (cached) return cached;
  const impl = implementations[type];
  if (!impl) {
    throw new Error(
      `This version of @eliza-coolify/coolify has no resource type "${type}". The state was written by ` +
        "another version: install the version that wrote it, or remove the resource from state.",
    );
  }
  const wrapped = clean(impl);
  cleaned.set(type, wrapped);
  return wrapped;
}

export function configureProvider(config: { url?: string; token?: string }): void {
  setConfiguredCredentials(config);
}
