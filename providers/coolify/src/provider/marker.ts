import * as pulumi from "@pulumi/pulumi";

/**
 * Coolify has no idempotency keys and allows duplicate names, so every object this program
 * creates carries an ownership marker in its description. A create whose response was lost is
 * reconciled by finding name + marker; an object without the marker is only adopted on request.
 *
 * Project descriptions accept only letters, digits, spaces and - _ . , ! ? ( ) ' " + = * @ / &
 * (notes 4.3), so the marker uses only those.
 */
const PREFIX = "(managed by eliza-coolify ";

/** The owner key of a resource of this Pulumi project and stack, by its logical name. */
export function ownerOf(name: string): string {
  return ownerKey([pulumi.getProject(), pulumi.getStack(), name]);
}

export function ownerKey(parts: string[]): string {
  return parts.map((p) => p.toLowerCase().replace(/[^a-z0-9._-]+/g, "-")).join("/");
}

export function withMarker(description: string, owner: string): string {
  const marker = `${PREFIX}${owner})`;
  return description ? `${description} ${marker}` : marker;
}

/** The user's description without our marker. */
export function stripMarker(description: string | null | undefined): string {
  if (!description) return "";
  const i = description.lastIndexOf(PREFIX);
  return i < 0 ? description : description.slice(0, i).trimEnd();
}

export function markerOwner(description: string | null | undefined): string | undefined {
  if (!description) return undefined;
  const i = description.lastIndexOf(PREFIX);
  if (i < 0) return undefined;
  const end = description.indexOf(")", i);
  return end < 0 ? undefined : description.slice(i + PREFIX.length, end);
}
