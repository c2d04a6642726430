// Rollback of an application (Coolify 4.3.11 source, ApplicationsController rollback_images and
// rollback_by_uuid, bootstrap/helpers/shared.php validateGitRef): the images on the server, and
// a deployment of a given commit. For a dockerimage application the deployment runs the stored
// tag whatever commit is given (runtime.ts): the real server's rollback does not roll it back.
import { queueFull } from "./application-actions";
import { onAppPeriod } from "./application-lookup";
import { type Ctx, json, message, type Reply, validationFailed } from "./http";

/** validateGitRef: trimmed; "" and HEAD pass; no leading '-'; a safe character set. */
function gitRefProblem(input: string): string | undefined {
  const ref = input.trim();
  if (ref === "" || ref === "HEAD") return undefined;
  if (ref.startsWith("-")) return "Invalid rollback commit: must not start with a hyphen.";
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._\-/]*$/.test(ref))
    return "Invalid rollback commit: contains disallowed characters. Only alphanumeric characters, dots, hyphens, underscores, and slashes are allowed.";
  return undefined;
}

export const rollbackImages = onAppPeriod((ctx, app) => json(200, ctx.core.runtime.rollbackImages(app)));

export function rollback(ctx: Ctx): Reply {
  // Order: body check (the route's), validator and unknown fields, then the application.
  const b = ctx.body;
  const errors: Record<string, string[]> = {};
  if (b.commit === undefined || b.commit === null) errors.commit = ["This field is required."];
  else if (typeof b.commit !== "string") errors.commit = ["The commit field must be a string."];
  for (const k of Object.keys(b)) if (k !== "commit") errors[k] = ["This field is not allowed."];
  if (Object.keys(errors).length) return validationFailed(errors);
  return onAppPeriod((c, app) => {
    const problem = gitRefProblem(String(b.commit));
    if (problem) return validationFailed({ commit: [problem] });
    // Unlike /start, a full queue is reported here.
    if (queueFull(c, app))
      return message(400, "Deployment queue is full. Please wait for existing deployments to complete.");
    const r = c.core.queueDeployment(app, {
      force: false,
      restartOnly: false,
      isApi: true,
      rollback: true,
      commit: String(b.commit).trim(),
    });
    return json(200, {
      message: "Rollback deployment queued.",
      deployment_uuid: r.deployment?.deployment_uuid,
    });
  })(ctx);
}
