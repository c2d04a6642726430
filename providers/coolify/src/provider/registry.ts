import type * as pulumi from "@pulumi/pulumi";
import { agentSmokeTestImpl } from "../resources/agent-smoke-test";
import { applicationImpl } from "../resources/application";
import { backupBeforeChangeImpl } from "../resources/backup-before-change";
import { certificateCheckImpl } from "../resources/certificate-check";
import { databaseBackupImpl } from "../resources/database-backup";
import { databaseRestartImpl } from "../resources/database-restart";
import { deploymentImpl } from "../resources/deployment";
import { envVarsImpl } from "../resources/env-vars";
import { persistentStorageImpl } from "../resources/persistent-storage";
import { postgresDatabaseImpl } from "../resources/postgres-database";
import { projectImpl } from "../resources/project";
import { randomSecretImpl } from "../resources/random-secret";
import { s3StorageImpl } from "../resources/s3-storage";
import {
  ensureAbility,
  explainWithVersion,
  type ProviderSettings,
  preflight,
  setConfiguredCredentials,
} from "./context";
import { watchEngine } from "./engine-watch";
import { reportOnce } from "./host-errors";
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
  S3Storage: s3StorageImpl,
  DatabaseBackup: databaseBackupImpl,
  BackupBeforeChange: backupBeforeChangeImpl,
  DatabaseRestart: databaseRestartImpl,
  PersistentStorage: persistentStorageImpl,
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

/** The resource types that talk to Coolify (the others generate, test or check locally). */
const COOLIFY_BACKED = new Set([
  "Project",
  "Application",
  "PostgresDatabase",
  "EnvVars",
  "Deployment",
  "S3Storage",
  "DatabaseBackup",
  "BackupBeforeChange",
  "DatabaseRestart",
  "PersistentStorage",
]);

/**
 * Every implementation as the shims get it: results cleaned, version-related errors explained,
 * each error reported once. Coolify-backed types first prove the URL and token (once per process,
 * previews included), the abilities a write needs before the first write, and `delete` before a
 * replacement that would need it.
 *
 * `delete` is checked before the first write of every `up` on a Coolify that needs it (4.6 and
 * later): the engine runs the deletes of resources taken out of the program (an agent removed
 * from the stack) last, after every create and update, and nothing tells the provider before
 * then that they are coming. Without the check such an `up` would deploy the other changes and
 * then fail half-way, at its first DELETE.
 */
function clean(impl: ResourceImpl, coolifyBacked: boolean): ResourceImpl {
  const before = async (step: () => Promise<void>) => {
    if (coolifyBacked) await step().catch(explainWithVersion);
  };
  const beforeWrite = () =>
    before(async () => {
      await ensureAbility("deploy");
      await ensureAbility("delete");
    });
  return {
    check: async (olds, news) => {
      await before(preflight);
      return withoutUndefined(await impl.check(olds, news));
    },
    diff: async (id, olds, news) => {
      const result = await impl.diff(id, olds, news);
      if (result.replaces?.length) await before(() => ensureAbility("delete"));
      return result;
    },
    create: async (inputs) => {
      await beforeWrite();
      return withoutUndefined(await impl.create(inputs).catch(explainWithVersion));
    },
    read: async (id, props) => withoutUndefined(await impl.read(id, props).catch(explainWithVersion)),
    update: async (id, olds, news) => {
      await beforeWrite();
      return withoutUndefined(await impl.update(id, olds, news).catch(explainWithVersion));
    },
    delete: (id, props) => impl.delete(id, props).catch(explainWithVersion),
  };
}

/** The host prints thrown errors a second time, with a stack trace: see host-errors.ts. */
function reportedOnce(impl: ResourceImpl): ResourceImpl {
  return {
    check: (olds, news) => impl.check(olds, news).catch(reportOnce),
    diff: (id, olds, news) => impl.diff(id, olds, news).catch(reportOnce),
    create: (inputs) => impl.create(inputs).catch(reportOnce),
    read: (id, props) => impl.read(id, props).catch(reportOnce),
    update: (id, olds, news) => impl.update(id, olds, news).catch(reportOnce),
    delete: (id, props) => impl.delete(id, props).catch(reportOnce),
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
  const wrapped = reportedOnce(clean(impl, COOLIFY_BACKED.has(type)));
  cleaned.set(type, wrapped);
  return wrapped;
}

/**
 * What the `__provider` text of every resource (provider/shim.ts) returns in the provider process:
 * the implementation of `type` behind the interface the Node dynamic-provider host calls.
 */
export function dynamicProvider(type: string): pulumi.dynamic.ResourceProvider {
  return {
    configure: async (req) =>
      configureProvider({
        url: req.config.get("coolify:url"),
        token: req.config.get("coolify:token"),
        rateLimitPerMinute: req.config.get("coolify:rateLimitPerMinute"),
      }),
    check: async (olds, news) => implementationOf(type).check(olds, news),
    diff: async (id, olds, news) => implementationOf(type).diff(id, olds, news),
    create: async (inputs) => implementationOf(type).create(inputs),
    read: async (id, props) => implementationOf(type).read(id, props),
    update: async (id, olds, news) => implementationOf(type).update(id, olds, news),
    delete: async (id, props) => implementationOf(type).delete(id, props),
  };
}

export function configureProvider(config: ProviderSettings): void {
  setConfiguredCredentials(config);
  watchEngine();
}
