// GET /version (notes 4.1) and the oldest Coolify this client works with.
import type { Transport } from "../transport";
import { assertVersionSupported } from "../version";

export async function version(t: Transport): Promise<string> {
  const text = await t.request<string>("GET", "/version", { responseType: "text" });
  return text.trim().replace(/^"(.*)"$/, "$1");
}

/** Refuses Coolify older than 4.2.0 (see ../version.ts for why); returns the version. */
export async function assertSupportedVersion(t: Transport): Promise<string> {
  const v = await version(t);
  assertVersionSupported(v, t.baseUrl);
  return v;
}
