// The package every resource's `__provider` text requires at call time (provider/shim.ts), and the program's import for
// the resource classes. The API client is exported as a namespace: its response types
// (Project, Application, ...) share names with the resource classes.
export * as api from "./client";
export type { ProxyOptions } from "./provider/proxy-labels";
export { configureProvider, dynamicProvider, implementationOf } from "./provider/registry";
export * from "./resources/agent-smoke-test";
export * from "./resources/application";
export * from "./resources/backup-before-change";
export * from "./resources/certificate-check";
export * from "./resources/database-backup";
export * from "./resources/database-restart";
export * from "./resources/deployment";
export * from "./resources/env-vars";
export * from "./resources/persistent-storage";
export * from "./resources/postgres-database";
export * from "./resources/project";
export * from "./resources/random-secret";
export * from "./resources/s3-storage";
