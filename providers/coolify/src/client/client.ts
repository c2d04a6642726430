// CoolifyClient: the Coolify API by name. Each method hands its transport to the endpoint
// function of its API area (endpoints/*.ts, where the rules of each call are written down);
// sending, retries, timeouts and the rate budget are the transport's (transport.ts).

import type { EnvVarInput } from "./endpoints/application-envs";
import * as applicationEnvs from "./endpoints/application-envs";
import * as applicationLifecycle from "./endpoints/application-lifecycle";
import type { ApplicationKind } from "./endpoints/applications";
import * as applications from "./endpoints/applications";
import type { BackupBody } from "./endpoints/backups";
import * as backups from "./endpoints/backups";
import * as databases from "./endpoints/databases";
import * as deployments from "./endpoints/deployments";
import * as meta from "./endpoints/meta";
import * as projects from "./endpoints/projects";
import type { S3StorageBody } from "./endpoints/s3-storages";
import * as s3Storages from "./endpoints/s3-storages";
import * as servers from "./endpoints/servers";
import * as storages from "./endpoints/storages";
import { type GoneKind, waitUntilGone } from "./endpoints/wait-until-gone";
import type { HttpMethod } from "./retry";
import { type ClientOptions, type RequestOptions, Transport } from "./transport";

export type { EnvVarInput } from "./endpoints/application-envs";
export type { ApplicationKind } from "./endpoints/applications";
export type { BackupBody } from "./endpoints/backups";
export type { S3StorageBody } from "./endpoints/s3-storages";
export type { GoneKind } from "./endpoints/wait-until-gone";
export {
  type ClientOptions,
  closeAgents,
  type QueryValue,
  type RequestEvent,
  type RequestOptions,
  type WaitEvent,
} from "./transport";

export class CoolifyClient {
  private readonly transport: Transport;

  constructor(opts: ClientOptions) {
    this.transport = new Transport(opts);
  }

  /** The Coolify root URL without credentials, for messages. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  // Keep the token out of console.log / util.inspect / JSON.stringify of a client.
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `CoolifyClient { baseUrl: '${this.baseUrl}' }`;
  }

  /** Any endpoint, for the calls that have no method here (the ability probe, the servers list). */
  request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions<T> = {}): Promise<T> {
    return this.transport.request(method, path, opts);
  }

  // ---------------------------------------------------------------------------------------------
  // meta (endpoints/meta.ts)

  version() {
    return meta.version(this.transport);
  }

  assertSupportedVersion() {
    return meta.assertSupportedVersion(this.transport);
  }

  // ---------------------------------------------------------------------------------------------
  // projects and environments (endpoints/projects.ts)

  createProject(b: { name: string; description?: string }) {
    return projects.createProject(this.transport, b);
  }

  getProject(uuid: string) {
    return projects.getProject(this.transport, uuid);
  }

  listProjects() {
    return projects.listProjects(this.transport);
  }

  updateProject(uuid: string, b: { name?: string; description?: string }) {
    return projects.updateProject(this.transport, uuid, b);
  }

  deleteProject(uuid: string) {
    return projects.deleteProject(this.transport, uuid);
  }

  getEnvironment(projectUuid: string, envNameOrUuid: string) {
    return projects.getEnvironment(this.transport, projectUuid, envNameOrUuid);
  }

  createEnvironment(projectUuid: string, b: { name: string }) {
    return projects.createEnvironment(this.transport, projectUuid, b);
  }

  // ---------------------------------------------------------------------------------------------
  // servers (endpoints/servers.ts)

  listServerResources(serverUuid: string) {
    return servers.listServerResources(this.transport, serverUuid);
  }

  // ---------------------------------------------------------------------------------------------
  // applications (endpoints/applications.ts)

  createApplication(kind: ApplicationKind, body: Record<string, unknown>) {
    return applications.createApplication(this.transport, kind, body);
  }

  getApplication(uuid: string) {
    return applications.getApplication(this.transport, uuid);
  }

  listApplications(query?: { tag?: string }) {
    return applications.listApplications(this.transport, query);
  }

  updateApplication(uuid: string, body: Record<string, unknown>) {
    return applications.updateApplication(this.transport, uuid, body);
  }

  deleteApplication(uuid: string, opts: { deleteVolumes?: boolean } = {}) {
    return applications.deleteApplication(this.transport, uuid, opts);
  }

  startApplication(uuid: string, opts: { force?: boolean } = {}) {
    return applications.startApplication(this.transport, uuid, opts);
  }

  restartApplication(uuid: string) {
    return applications.restartApplication(this.transport, uuid);
  }

  stopApplication(uuid: string, opts: { dockerCleanup?: boolean } = {}) {
    return applications.stopApplication(this.transport, uuid, opts);
  }

  // ---------------------------------------------------------------------------------------------
  // application env vars (endpoints/application-envs.ts)

  listApplicationEnvs(appUuid: string) {
    return applicationEnvs.listApplicationEnvs(this.transport, appUuid);
  }

  bulkUpsertApplicationEnvs(appUuid: string, items: EnvVarInput[]) {
    return applicationEnvs.bulkUpsertApplicationEnvs(this.transport, appUuid, items);
  }

  createApplicationEnv(appUuid: string, item: EnvVarInput) {
    return applicationEnvs.createApplicationEnv(this.transport, appUuid, item);
  }

  updateApplicationEnv(appUuid: string, item: EnvVarInput) {
    return applicationEnvs.updateApplicationEnv(this.transport, appUuid, item);
  }

  deleteApplicationEnv(appUuid: string, envUuid: string) {
    return applicationEnvs.deleteApplicationEnv(this.transport, appUuid, envUuid);
  }

  // ---------------------------------------------------------------------------------------------
  // databases (endpoints/databases.ts)

  createPostgres(body: Record<string, unknown>) {
    return databases.createPostgres(this.transport, body);
  }

  getDatabase(uuid: string) {
    return databases.getDatabase(this.transport, uuid);
  }

  updateDatabase(uuid: string, body: Record<string, unknown>) {
    return databases.updateDatabase(this.transport, uuid, body);
  }

  deleteDatabase(uuid: string, opts: { deleteVolumes?: boolean } = {}) {
    return databases.deleteDatabase(this.transport, uuid, opts);
  }

  startDatabase(uuid: string) {
    return databases.startDatabase(this.transport, uuid);
  }

  restartDatabase(uuid: string) {
    return databases.restartDatabase(this.transport, uuid);
  }

  // ---------------------------------------------------------------------------------------------
  // deployments (endpoints/deployments.ts)

  deploy(appUuid: string, opts: { force?: boolean } = {}) {
    return deployments.deploy(this.transport, appUuid, opts);
  }

  getDeployment(deploymentUuid: string) {
    return deployments.getDeployment(this.transport, deploymentUuid);
  }

  listApplicationDeployments(appUuid: string, opts: { skip?: number; take?: number } = {}) {
    return deployments.listApplicationDeployments(this.transport, appUuid, opts);
  }

  // ---------------------------------------------------------------------------------------------
  // S3 storages (endpoints/s3-storages.ts)

  createS3Storage(body: S3StorageBody) {
    return s3Storages.createS3Storage(this.transport, body);
  }

  getS3Storage(uuid: string) {
    return s3Storages.getS3Storage(this.transport, uuid);
  }

  listS3Storages() {
    return s3Storages.listS3Storages(this.transport);
  }

  updateS3Storage(uuid: string, body: S3StorageBody) {
    return s3Storages.updateS3Storage(this.transport, uuid, body);
  }

  deleteS3Storage(uuid: string) {
    return s3Storages.deleteS3Storage(this.transport, uuid);
  }

  validateS3Storage(uuid: string) {
    return s3Storages.validateS3Storage(this.transport, uuid);
  }

  // ---------------------------------------------------------------------------------------------
  // database backups (endpoints/backups.ts)

  createDatabaseBackup(dbUuid: string, body: BackupBody) {
    return backups.createDatabaseBackup(this.transport, dbUuid, body);
  }

  listDatabaseBackups(dbUuid: string) {
    return backups.listDatabaseBackups(this.transport, dbUuid);
  }

  updateDatabaseBackup(dbUuid: string, backupUuid: string, body: BackupBody) {
    return backups.updateDatabaseBackup(this.transport, dbUuid, backupUuid, body);
  }

  deleteDatabaseBackup(dbUuid: string, backupUuid: string, opts: { deleteS3?: boolean } = {}) {
    return backups.deleteDatabaseBackup(this.transport, dbUuid, backupUuid, opts);
  }

  listBackupExecutions(dbUuid: string, backupUuid: string) {
    return backups.listBackupExecutions(this.transport, dbUuid, backupUuid);
  }

  // ---------------------------------------------------------------------------------------------
  // logs and rollback (endpoints/application-lifecycle.ts)

  getApplicationLogs(appUuid: string, lines: number) {
    return applicationLifecycle.getApplicationLogs(this.transport, appUuid, lines);
  }

  rollbackApplication(appUuid: string, commit: string) {
    return applicationLifecycle.rollbackApplication(this.transport, appUuid, commit);
  }

  // ---------------------------------------------------------------------------------------------
  // persistent storages (endpoints/storages.ts)

  listPersistentStorages(appUuid: string) {
    return storages.listPersistentStorages(this.transport, appUuid);
  }

  createPersistentStorage(appUuid: string, b: { name: string; mountPath: string; hostPath?: string }) {
    return storages.createPersistentStorage(this.transport, appUuid, b);
  }

  updatePersistentStorage(
    appUuid: string,
    storageUuid: string,
    b: { mountPath?: string; hostPath?: string | null },
  ) {
    return storages.updatePersistentStorage(this.transport, appUuid, storageUuid, b);
  }

  deleteStorage(appUuid: string, storageUuid: string) {
    return storages.deleteStorage(this.transport, appUuid, storageUuid);
  }

  // ---------------------------------------------------------------------------------------------
  // waiting (endpoints/wait-until-gone.ts)

  waitUntilGone(kind: GoneKind, uuid: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}) {
    return waitUntilGone(this.transport, kind, uuid, opts);
  }
}
