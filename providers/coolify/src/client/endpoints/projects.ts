// Projects and their environments (notes 4.3).
import {
  type Environment,
  EnvironmentSchema,
  type Project,
  ProjectSchema,
  type ProjectSummary,
  ProjectSummarySchema,
  UuidResponseSchema,
} from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";
import { patchFields } from "./writes";

export async function createProject(
  t: Transport,
  b: { name: string; description?: string },
): Promise<{ uuid: string }> {
  const r = await t.request("POST", "/projects", {
    body: withoutUndefined(b),
    schema: UuidResponseSchema,
  });
  return { uuid: r.uuid };
}

export function getProject(t: Transport, uuid: string): Promise<Project> {
  return t.request("GET", `/projects/${seg(uuid)}`, { schema: ProjectSchema });
}

export function listProjects(t: Transport): Promise<ProjectSummary[]> {
  return t.request("GET", "/projects", { schema: ProjectSummarySchema.array() });
}

export async function updateProject(
  t: Transport,
  uuid: string,
  b: { name?: string; description?: string },
): Promise<void> {
  await patchFields(t, `/projects/${seg(uuid)}`, b);
}

/** Fails with code "bad_request" (see isHasResources) while queued child deletes are unfinished. */
export async function deleteProject(t: Transport, uuid: string): Promise<void> {
  await t.request("DELETE", `/projects/${seg(uuid)}`);
}

/** Includes the environment's applications, postgresqls, ... lists as Coolify returns them. */
export function getEnvironment(
  t: Transport,
  projectUuid: string,
  envNameOrUuid: string,
): Promise<Environment> {
  return t.request("GET", `/projects/${seg(projectUuid)}/${seg(envNameOrUuid)}`, {
    schema: EnvironmentSchema,
  });
}

export async function createEnvironment(
  t: Transport,
  projectUuid: string,
  b: { name: string },
): Promise<{ uuid: string }> {
  const r = await t.request("POST", `/projects/${seg(projectUuid)}/environments`, {
    body: { name: b.name },
    schema: UuidResponseSchema,
  });
  return { uuid: r.uuid };
}
