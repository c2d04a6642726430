// Servers (notes 4.4): what runs on one.
import { z } from "zod";
import type { Transport } from "../transport";
import { seg } from "./encode";

/** One entry of GET /servers/{uuid}/resources (definedResources() in ServersController). */
export const ServerResourceSchema = z.looseObject({
  uuid: z.string(),
  name: z.string().nullish(),
  type: z.string(),
  status: z.string().nullish(),
});
export type ServerResource = z.infer<typeof ServerResourceSchema>;

/** The applications, databases and services on the server's destinations. */
export function listServerResources(t: Transport, serverUuid: string): Promise<ServerResource[]> {
  return t.request("GET", `/servers/${seg(serverUuid)}/resources`, { schema: ServerResourceSchema.array() });
}
