// PATCH /applications/{uuid}: the allowed fields, basic auth, domains and the build pack switch
// (notes 4.5.3, P7, P9).
import { composeDomainsRefused, isReply, resolveDomains } from "./application-domains";
import { applyFields, BUILD_PACKS, fieldChecks, PATCH_ALLOWED } from "./application-fields";
import { onApp } from "./application-lookup";
import { LABEL_REGENERATING_FIELDS, regenerateReadonlyLabels } from "./container-labels";
import {
  bool,
  has,
  json,
  mergeErrors,
  message,
  unknownFields,
  validationFailed,
  validationFailedStrings,
} from "./http";

export const updateApplication = onApp((ctx, app) => {
  const b = ctx.body;
  const errors = mergeErrors(ctx.schemaErrors, unknownFields(b, PATCH_ALLOWED));
  if (errors) return validationFailed(errors);
  const fErr = fieldChecks(b, true);
  if (fErr) return fErr;
  if (
    b.build_pack === "dockerimage" ||
    (typeof b.build_pack === "string" && !BUILD_PACKS.includes(b.build_pack))
  )
    return validationFailed({ build_pack: ["The selected build pack is invalid."] });
  const basicAuth = bool(b.is_http_basic_auth_enabled, Boolean(app.is_http_basic_auth_enabled));
  if (basicAuth) {
    const user = has(b, "http_basic_auth_username")
      ? b.http_basic_auth_username
      : app.http_basic_auth_username;
    const pass = has(b, "http_basic_auth_password")
      ? b.http_basic_auth_password
      : app.http_basic_auth_password;
    if (!user || !pass)
      return validationFailedStrings({
        http_basic_auth_username: "Username and password are required when HTTP basic auth is enabled.",
      });
  }
  let fqdn: string | null | undefined;
  const server = ctx.core.store.serverOfDestination(app.destination_id);
  // P9: domains are ignored silently on proxy NONE and on build servers.
  const domainsHonoured = server && server.proxy.type !== "NONE" && !server.settings.is_build_server;
  if (has(b, "domains") && domainsHonoured) {
    if (app.build_pack === "dockercompose") return composeDomainsRefused();
    const d = resolveDomains(ctx, b.domains, app.uuid);
    if (isReply(d)) return d;
    fqdn = d; // P7: "" arrives as null and clears the fqdn
  }
  applyFields(app, b);
  if (fqdn !== undefined) app.fqdn = fqdn;
  if (LABEL_REGENERATING_FIELDS.some((f) => has(b, f))) {
    const destination = ctx.core.store.destinations.find((d) => d.id === app.destination_id);
    regenerateReadonlyLabels(app, destination, server, "patch");
  }
  if (has(b, "build_pack") && b.build_pack !== "dockerfile" && app.build_pack === "dockerfile") {
    app.dockerfile = null;
    app.dockerfile_location = null;
    app.dockerfile_target_build = null;
  }
  if (has(b, "build_pack")) app.build_pack = String(b.build_pack);
  app.updated_at = ctx.core.stamp();
  if (bool(b.instant_deploy, false)) {
    const r = ctx.core.queueDeployment(app, { force: false, restartOnly: false, isApi: true });
    if (r.skipped) return message(200, "Deployment already queued for this commit.");
  }
  return json(200, { uuid: app.uuid });
});
