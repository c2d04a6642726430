// The `domains` field of application create and PATCH: format, normalisation and conflicts
// (notes section 5, P7-P9).
import { conflictBody, findConflicts, parseDomains } from "./domains";
import { bool, type Ctx, json, type Reply, validationFailed, validationFailedList } from "./http";

/** The checks here and in placement.ts answer a value or the reply to send instead. */
export function isReply(x: unknown): x is Reply {
  return typeof x === "object" && x !== null && "status" in x && typeof (x as Reply).status === "number";
}

/** Compose applications take their domains per service (docker_compose_domains), never here. */
export function composeDomainsRefused(): Reply {
  return validationFailed({
    domains: [
      "The domains field cannot be used for dockercompose applications. Use docker_compose_domains instead.",
    ],
  });
}

/** Validate, normalise and conflict-check `domains`. Returns the fqdn string, null to clear, or a reply. */
export function resolveDomains(ctx: Ctx, raw: unknown, excludeUuid?: string): string | null | Reply {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== "string") return validationFailed({ domains: ["The domains field must be a string."] });
  const { urls, errors } = parseDomains(raw);
  if (errors.length) return validationFailedList(errors);
  if (urls.length === 0) return null;
  if (!bool(ctx.body.force_domain_override, false)) {
    const conflicts = findConflicts(ctx.core.store, ctx.teamId, urls, excludeUuid);
    if (conflicts.length) return json(409, conflictBody(conflicts));
  }
  return urls.join(",");
}
