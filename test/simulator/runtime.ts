// The docker side of the simulated server: which image a deployment runs, the images kept on the
// server, the application's container (its mounts, its own file layer and what it prints) and the
// volumes its persistent storages become. The ElizaOS process inside the container is
// agent-plane.ts's.
//
// Facts modelled (Coolify 4.3.11 source; the research notes are summarised in README.md):
// - A dockerimage application runs `docker_registry_image_name:docker_registry_image_tag`
//   (`latest` when unset); the deployment's `commit` is ignored for it, rollbacks included
//   (ApplicationDeploymentJob deploy_dockerimage_buildpack reads only the stored tag).
// - A git application builds `<uuid or registry name>:<commit>`; a normal deployment rewrites
//   `commit` from HEAD to the branch head's sha when it runs, a rollback keeps the given commit.
//   An inline Dockerfile application builds `<uuid>:latest`.
// - Persistent storages become named volumes called exactly the stored `name` (or bind mounts of
//   `host_path`), created when a deployment starts the container: storage changes apply on the
//   next deployment. Deleting a storage leaves its volume; deleting the application with
//   delete_volumes (the default) removes them (`docker volume rm -f`), bind mounts excepted.
// - Stop removes the containers (`docker rm -f`), so their logs are gone; with docker_cleanup
//   (the default) CleanupDocker keeps the newest `docker_images_to_keep` (default 2) images.
import { createHash } from "node:crypto";
import type { Core } from "./core";
import type { Application, Deployment, ImageRow } from "./state";
import type { DeploymentOutcome, ImageBehaviour } from "./types";

export interface Mount {
  mountPath: string;
  /** The volume's name, or the host path of a bind mount. */
  volume: string;
}

export interface DockerContainer {
  appUuid: string;
  /** `name:tag` of the image it runs. */
  image: string;
  startedAt: number;
  mounts: Mount[];
  /** Files written outside the mounts: the container's own layer, lost when it is replaced. */
  files: Map<string, string>;
  /** stdout and stderr, merged as `docker logs ... 2>&1` gives them. */
  output: { at: number; line: string }[];
}

/** Coolify's image for an application and commit. */
export function imageOf(app: Application, commit: string): { repository: string; tag: string } {
  if (app.build_pack === "dockerimage") {
    return {
      repository: String(app.docker_registry_image_name),
      tag: String(app.docker_registry_image_tag ?? "latest") || "latest",
    };
  }
  const repository = (app.docker_registry_image_name as string | null | undefined) || app.uuid;
  if (app.build_pack === "dockerfile" && app.dockerfile) return { repository, tag: "latest" };
  return { repository, tag: commit.slice(0, 128) };
}

export const refOf = (i: { repository: string; tag: string }) => `${i.repository}:${i.tag}`;

function isGitApp(app: Application): boolean {
  return app.build_pack !== "dockerimage" && !(app.build_pack === "dockerfile" && app.dockerfile);
}

/** Docker's `{{.CreatedAt}}` text, e.g. "2026-08-20 10:11:12 +0000 UTC". */
function dockerCreatedAt(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

/** `path` relative to `mount` when it is inside it, else undefined. */
function inside(path: string, mount: string): string | undefined {
  const m = mount.replace(/\/+$/, "");
  if (path === m) return "";
  return path.startsWith(`${m}/`) ? path.slice(m.length + 1) : undefined;
}

export class Runtime {
  private behaviours = new Map<string, ImageBehaviour>();
  private gitHeads = new Map<string, string>();
  private depImages = new Map<number, string>();
  private containers = new Map<string, DockerContainer>();

  constructor(private core: Core) {}

  reset(): void {
    this.behaviours.clear();
    this.gitHeads.clear();
    this.depImages.clear();
    this.containers.clear();
  }

  // ------------------------------------------------------------------ images and commits

  setImageBehaviour(image: string, b: ImageBehaviour): void {
    const out: ImageBehaviour = {};
    if (b.deployment !== undefined) {
      if (b.deployment !== "fail" && b.deployment !== "unhealthy")
        throw new Error(`deployment must be "fail" or "unhealthy", not ${String(b.deployment)}`);
      out.deployment = b.deployment;
    }
    if (b.failChat !== undefined) out.failChat = Boolean(b.failChat);
    if (b.logLines !== undefined) {
      if (!Array.isArray(b.logLines)) throw new Error("logLines must be a list of strings");
      out.logLines = b.logLines.map(String);
    }
    if (Object.keys(out).length === 0) this.behaviours.delete(image);
    else this.behaviours.set(image, out);
  }

  /** The behaviour of an image reference (`name:tag`), or of a git commit alone. */
  behaviourOf(image: string): ImageBehaviour {
    const byRef = this.behaviours.get(image);
    if (byRef) return byRef;
    const tag = image.slice(image.lastIndexOf(":") + 1);
    return (/^[0-9a-f]{7,40}$/.test(tag) && this.behaviours.get(tag)) || {};
  }

  setGitHead(repository: string, branch: string, commit: string): void {
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error("commit must be a 40-character hex sha");
    this.gitHeads.set(`${repository}#${branch}`, commit);
  }

  /** The branch head of a git application: set by setGitHead, else a fixed sha per branch. */
  private headOf(app: Application): string {
    const key = `${String(app.git_repository)}#${String(app.git_branch)}`;
    return this.gitHeads.get(key) ?? createHash("sha1").update(key).digest("hex");
  }

  /** What a deployment for `commit` builds: HEAD means the branch head on git applications. */
  private resolve(app: Application, commit: string, rollback: boolean): string {
    return isGitApp(app) && !rollback && (commit === "HEAD" || commit === "") ? this.headOf(app) : commit;
  }

  /** The outcome the image's behaviour gives a deployment queued now, if it sets one. */
  imageOutcome(app: Application, commit: string, rollback: boolean): DeploymentOutcome | undefined {
    const image = refOf(imageOf(app, this.resolve(app, commit, rollback)));
    const d = this.behaviourOf(image).deployment;
    return d === "fail" ? "fail" : d === "unhealthy" ? "unhealthy" : undefined;
  }

  /** When the job starts: the commit is resolved and the image fixed (the log names it, ADJ 600). */
  deploymentStarted(dep: Deployment, app: Application): string {
    const commit = this.resolve(app, dep.commit, dep.rollback === true);
    dep.commit = commit;
    const image = refOf(imageOf(app, commit));
    this.depImages.set(dep.id, image);
    return image;
  }

  imageOfDeployment(dep: Deployment): string | undefined {
    return this.depImages.get(dep.id);
  }

  /** A deployment pulled or built its image: it is on the server now. */
  imagePresent(serverId: number, image: string): void {
    const colon = image.lastIndexOf(":");
    const repository = image.slice(0, colon);
    const tag = image.slice(colon + 1);
    const s = this.core.store;
    const found = s.images.find(
      (i) => i.server_id === serverId && i.repository === repository && i.tag === tag,
    );
    if (found) return;
    s.images.push({ server_id: serverId, repository, tag, created_at: this.core.now() });
  }

  /** GET /applications/{uuid}/rollback-images (AC 5468-5536). */
  rollbackImages(app: Application): { current: string | null; images: Record<string, unknown>[] } {
    const server = this.core.store.serverOfDestination(app.destination_id);
    if (!server?.settings.is_reachable || !server.settings.is_usable) return { current: null, images: [] };
    const repository = (app.docker_registry_image_name as string | null | undefined) || app.uuid;
    // `docker inspect <uuid>` finds the container only when it is named after the uuid.
    const running = this.containers.get(app.uuid);
    const current =
      running && app.settings.is_consistent_container_name_enabled === true && !running.image.includes("@")
        ? running.image.slice(running.image.lastIndexOf(":") + 1)
        : null;
    const images = this.core.store.images
      .filter((i) => i.server_id === server.id && i.repository === repository)
      .sort((a, b) => b.created_at - a.created_at)
      .map((i) => ({ tag: i.tag, created_at: dockerCreatedAt(i.created_at), is_current: i.tag === current }));
    return { current, images };
  }

  /** CleanupDocker after a stop: the newest `docker_images_to_keep` of the app's images stay. */
  cleanupImages(app: Application): void {
    const server = this.core.store.serverOfDestination(app.destination_id);
    const repository = (app.docker_registry_image_name as string | null | undefined) || app.uuid;
    const keep = Number(app.settings.docker_images_to_keep ?? 2);
    const s = this.core.store;
    const mine = s.images
      .filter((i) => i.server_id === server?.id && i.repository === repository)
      .sort((a, b) => b.created_at - a.created_at);
    const drop = new Set<ImageRow>(mine.slice(keep));
    s.images = s.images.filter((i) => !drop.has(i));
  }

  // ------------------------------------------------------------------ containers and volumes

  /** A deployment (re)placed the application's container: the mounts are created now. */
  startContainer(app: Application, image: string): DockerContainer {
    const c: DockerContainer = {
      appUuid: app.uuid,
      image,
      startedAt: this.core.now(),
      mounts: this.mountsFor(app),
      files: new Map(),
      output: [],
    };
    for (const f of this.core.store.fileStorages.filter((x) => x.resource_id === app.id && !x.is_directory))
      if (f.content !== null) c.files.set(f.mount_path, f.content);
    this.containers.set(app.uuid, c);
    return c;
  }

  container(appUuid: string): DockerContainer | undefined {
    return this.containers.get(appUuid);
  }

  /** `docker rm -f`: the container and its own files are gone; volumes stay. */
  removeContainer(appUuid: string): void {
    this.containers.delete(appUuid);
  }

  print(appUuid: string, line: string): void {
    this.containers.get(appUuid)?.output.push({ at: this.core.now(), line });
  }

  /** `docker logs -n <lines> [--timestamps] <id> 2>&1`. */
  logs(appUuid: string, lines: number, timestamps: boolean): string | undefined {
    const c = this.containers.get(appUuid);
    if (!c) return undefined;
    const tail = c.output.slice(-lines);
    return tail
      .map(
        (o) =>
          (timestamps ? `${new Date(o.at).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z")} ` : "") +
          o.line,
      )
      .map((l) => `${l}\n`)
      .join("");
  }

  private mountsFor(app: Application): Mount[] {
    const s = this.core.store;
    const server = s.serverOfDestination(app.destination_id);
    const mounts: Mount[] = [];
    for (const p of s.persistentStorages.filter((x) => x.resource_id === app.id)) {
      const bind = Boolean(p.host_path);
      const name = bind ? String(p.host_path) : p.name;
      if (!s.volumes.some((v) => v.name === name && v.server_id === server?.id)) {
        s.volumes.push({ name, server_id: server?.id ?? 0, bind, files: {}, created_at: this.core.stamp() });
      }
      mounts.push({ mountPath: p.mount_path, volume: name });
    }
    return mounts;
  }

  private resolveFile(c: DockerContainer, path: string): { volume?: Record<string, string>; key: string } {
    const server = this.core.store.serverOfDestination(
      this.core.store.applications.find((a) => a.uuid === c.appUuid)?.destination_id ?? -1,
    );
    // The deepest mount wins, as in the container's mount table.
    const mounts = [...c.mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
    for (const m of mounts) {
      const rel = inside(path, m.mountPath);
      if (rel === undefined || rel === "") continue;
      const volume = this.core.store.volumes.find((v) => v.name === m.volume && v.server_id === server?.id);
      if (volume) return { volume: volume.files, key: rel };
    }
    return { key: path };
  }

  writeFile(appUuid: string, path: string, content: string): void {
    const c = this.containers.get(appUuid);
    if (!c) throw new Error(`application ${appUuid} has no running container`);
    if (!path.startsWith("/")) throw new Error("path must be absolute");
    const at = this.resolveFile(c, path);
    if (at.volume) at.volume[at.key] = content;
    else c.files.set(at.key, content);
  }

  readFile(appUuid: string, path: string): string | undefined {
    const c = this.containers.get(appUuid);
    if (!c) return undefined;
    const at = this.resolveFile(c, path);
    return at.volume ? at.volume[at.key] : c.files.get(at.key);
  }

  /** The application is deleted: its storage rows go, and its volumes when delete_volumes is set. */
  applicationDeleted(app: Application, deleteVolumes: boolean): void {
    const s = this.core.store;
    this.removeContainer(app.uuid);
    const server = s.serverOfDestination(app.destination_id);
    if (deleteVolumes) {
      const names = new Set(
        s.persistentStorages.filter((p) => p.resource_id === app.id && !p.host_path).map((p) => p.name),
      );
      s.volumes = s.volumes.filter((v) => !(v.server_id === server?.id && names.has(v.name) && !v.bind));
      s.persistentStorages = s.persistentStorages.filter((p) => p.resource_id !== app.id);
    }
    s.fileStorages = s.fileStorages.filter((f) => f.resource_id !== app.id);
  }
}
