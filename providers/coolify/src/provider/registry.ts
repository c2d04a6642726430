import { agentSmokeTestImpl } from "../resources/agent-smoke-test";
import { applicationImpl } from "../resources/application";
import { certificateCheckImpl } from "../resources/certificate-check";
import { deploymentImpl } from "../resources/deployment";
import { envVarsImpl } from "../resources/env-vars";
import { postgresDatabaseImpl } from "../resources/postgres-database";
import { projectImpl } from "../resources/project";
import { randomSecretImpl } from "../resources/random-secret";
import { setConfiguredCredentials } from "./context";
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

/** Called by the serialized shims (provider/shim.ts) in the provider process. */
export function implementationOf(type: string): ResourceImpl {
  const impl = implementations[type];
  if (!impl) {
    throw new Error(
      `This version of @eliza-coolify/coolify has no resource type "${type}". The state was written by ` +
        "another version: install the version that wrote it, or remove the resource from state.",
    );
  }
  return impl;
}

export function configureProvider(config: { url?: string; token?: string }): void {
  setConfiguredCredentials(config);
}
