// The application routes (notes 4.5, 4.6, section 5, pitfalls P1-P12, P29-P34). The handlers live
// in the application-*.ts files: fields, create, update, envs, actions and lookup.
import { restartApp, startApp, stopApp } from "./application-actions";
import { createApplication } from "./application-create";
import { bulkUpsertEnvs, createEnvVar, deleteEnvVar, listEnvs, updateEnvVar } from "./application-envs";
import { applicationLogs } from "./application-logs";
import { listApplications, onApp, showApplication } from "./application-lookup";
import { rollback, rollbackImages } from "./application-rollback";
import { createStorage, deleteStorage, listStorages, updateStorage } from "./application-storages";
import { updateApplication } from "./application-update";
import { message, postOnly, queryBool, type Route } from "./http";

// Other route files import these from here.
export { LIMIT_FIELDS } from "./application-fields";
export { findApp, onAppPeriod } from "./application-lookup";
export { resolvePlacement } from "./placement";

export const applicationRoutes: Route[] = [
  { method: "GET", template: "/applications", ability: "read", handler: listApplications },
  {
    method: "POST",
    template: "/applications/public",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("public"),
  },
  {
    method: "POST",
    template: "/applications/private-github-app",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("private-github-app"),
  },
  {
    method: "POST",
    template: "/applications/private-deploy-key",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("private-deploy-key"),
  },
  {
    method: "POST",
    template: "/applications/dockerfile",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("dockerfile"),
  },
  {
    method: "POST",
    template: "/applications/dockerimage",
    ability: "write",
    bodyCheck: true,
    handler: createApplication("dockerimage"),
  },
  { method: "GET", template: "/applications/{uuid}", ability: "read", handler: showApplication },
  {
    method: "PATCH",
    template: "/applications/{uuid}",
    ability: "write",
    bodyCheck: true,
    handler: updateApplication,
  },
  {
    method: "DELETE",
    template: "/applications/{uuid}",
    ability: "write",
    handler: onApp((ctx, app) => {
      // notes 4.5.4: deletion is a queued job; GET keeps answering until it has run.
      ctx.core.queueDelete("application", app, {
        deleteVolumes: queryBool(ctx.query, "delete_volumes", true),
      });
      return message(200, "Application deletion request queued.");
    }),
  },
  { method: "POST", template: "/applications/{uuid}/start", ability: "deploy", handler: startApp },
  { method: "POST", template: "/applications/{uuid}/stop", ability: "deploy", handler: stopApp },
  { method: "POST", template: "/applications/{uuid}/restart", ability: "deploy", handler: restartApp },
  { method: "GET", template: "/applications/{uuid}/start", ability: null, handler: postOnly },
  { method: "GET", template: "/applications/{uuid}/stop", ability: null, handler: postOnly },
  { method: "GET", template: "/applications/{uuid}/restart", ability: null, handler: postOnly },

  // -------------------------------------------------------------------- envs
  { method: "GET", template: "/applications/{uuid}/envs", ability: "read", handler: listEnvs },
  {
    method: "POST",
    template: "/applications/{uuid}/envs",
    ability: "write",
    // notes 2.1: this endpoint has no JSON body check; a bad body reaches the validator.
    bodyCheck: false,
    validate: true,
    handler: createEnvVar,
  },
  {
    method: "PATCH",
    template: "/applications/{uuid}/envs/bulk",
    ability: "write",
    bodyCheck: true,
    validate: false,
    handler: bulkUpsertEnvs,
  },
  {
    method: "PATCH",
    template: "/applications/{uuid}/envs",
    ability: "write",
    bodyCheck: true,
    handler: updateEnvVar,
  },
  {
    method: "DELETE",
    template: "/applications/{uuid}/envs/{env_uuid}",
    ability: "write",
    handler: deleteEnvVar,
  },

  // -------------------------------------------------------------------- logs, rollback, storages
  { method: "GET", template: "/applications/{uuid}/logs", ability: "read", handler: applicationLogs },
  {
    method: "GET",
    template: "/applications/{uuid}/rollback-images",
    ability: "read",
    handler: rollbackImages,
  },
  {
    method: "POST",
    template: "/applications/{uuid}/rollback",
    ability: "deploy",
    bodyCheck: true,
    validate: false,
    handler: rollback,
  },
  { method: "GET", template: "/applications/{uuid}/storages", ability: "read", handler: listStorages },
  {
    method: "POST",
    template: "/applications/{uuid}/storages",
    ability: "write",
    bodyCheck: true,
    validate: false,
    handler: createStorage,
  },
  {
    method: "PATCH",
    template: "/applications/{uuid}/storages",
    ability: "write",
    bodyCheck: true,
    validate: false,
    handler: updateStorage,
  },
  {
    method: "DELETE",
    template: "/applications/{uuid}/storages/{storage_uuid}",
    ability: "write",
    handler: deleteStorage,
  },
];
