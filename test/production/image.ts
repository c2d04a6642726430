// Builds the agent image from agent/Dockerfile with podman, tagged by a hash of everything that
// goes into it (the Dockerfile, the files it copies, the base image), so an unchanged tree reuses
// the image in the store and a changed one builds again.
//
//   npx tsx test/production/image.ts        build unless cached; prints the tag and the layers
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { podman, podmanRaw, REPO_DIR } from "./podman";

/** The Node base image scripts/containers/setup.sh makes, standing in for node:22.23.0-bookworm-slim. */
export const NODE_IMAGE = "localhost/node:22.23.0-bookworm-slim";
export const IMAGE_REPOSITORY = "localhost/eliza-agent";

/** What the Dockerfile copies from the repository: the build's real inputs. */
const CONTEXT_INPUTS = [
  "agent/Dockerfile",
  "agent/package.json",
  "agent/package-lock.json",
  "agent/build.ts",
  "agent/tsconfig.json",
  "agent/src",
  "characters",
];

/**
 * The CA bundle a build trusts for TLS (npm in the deps stage, apt in the runtime stage; the
 * build secret ca_bundle): ELIZA_COOLIFY_CA_BUNDLE, else the
 * host's trust store. A TLS-inspecting proxy re-signs the registry's certificate with a CA that the
 * host trusts and a fresh image does not; with no bundle the build uses the image's own.
 */
export function caBundle(): string | undefined {
  const configured = process.env.ELIZA_COOLIFY_CA_BUNDLE;
  if (configured) {
    if (!existsSync(configured)) {
      throw new Error(
        `ELIZA_COOLIFY_CA_BUNDLE=${configured} does not exist; point it at a PEM bundle or unset it`,
      );
    }
    return configured;
  }
  const host = "/etc/ssl/certs/ca-certificates.crt";
  return existsSync(host) ? host : undefined;
}

function filesUnder(path: string): string[] {
  const full = join(REPO_DIR, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/** Tag of the image for the current tree: a hash of the inputs and the base image's id. */
export async function imageTag(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of CONTEXT_INPUTS.flatMap(filesUnder)) {
    hash.update(`${relative(REPO_DIR, join(REPO_DIR, file))}\0`);
    hash.update(readFileSync(join(REPO_DIR, file)));
  }
  hash.update(await podman(["image", "inspect", "--format", "{{.Id}}", NODE_IMAGE]));
  return `${IMAGE_REPOSITORY}:ctx-${hash.digest("hex").slice(0, 16)}`;
}

export interface BuiltImage {
  tag: string;
  /** False when the image for this tree was already in the store. */
  built: boolean;
  buildMs?: number;
  bytes: number;
}

/** Builds the image unless the store has it for this tree. */
export async function ensureImage(log: (line: string) => void = () => undefined): Promise<BuiltImage> {
  const tag = await imageTag();
  const exists = await podmanRaw(["image", "exists", tag]);
  if (exists.status === 0) {
    log(`image ${tag} is cached (nothing that goes into it changed)`);
    return { tag, built: false, bytes: await imageBytes(tag) };
  }
  const ca = caBundle();
  log(`building ${tag} from agent/Dockerfile (NODE_IMAGE=${NODE_IMAGE}${ca ? `, CA bundle ${ca}` : ""})`);
  const started = Date.now();
  await podman(
    [
      "build",
      "--format=docker", // OCI images drop HEALTHCHECK
      "--pull=never",
      "--network=host", // the build reaches the npm registry and the Debian mirror like the host does
      "--layers",
      ...(ca ? ["--secret", `id=ca_bundle,src=${ca}`] : []),
      "--build-arg",
      `NODE_IMAGE=${NODE_IMAGE}`,
      "--ignorefile",
      join(REPO_DIR, "agent", "Dockerfile.dockerignore"),
      "-f",
      join(REPO_DIR, "agent", "Dockerfile"),
      "-t",
      tag,
      REPO_DIR,
    ],
    {
      onLine: (line) =>
        /^(\[\d\/\d\] STEP|STEP|COMMIT|-->|Successfully)/.test(line) && log(`  ${line.slice(0, 160)}`),
    },
  );
  const buildMs = Date.now() - started;
  log(`built ${tag} in ${(buildMs / 1000).toFixed(0)} s`);
  await removeOldImages(tag, log);
  return { tag, built: true, buildMs, bytes: await imageBytes(tag) };
}

/** Images of earlier trees kept besides the current one (other checkouts may still use them). */
const KEEP_OLD_IMAGES = 3;

/** Untags all but the newest few images of earlier trees, so the store does not grow per change. */
async function removeOldImages(current: string, log: (line: string) => void): Promise<void> {
  const listed = await podman([
    "images",
    "--format",
    "{{.Repository}}:{{.Tag}}",
    "--sort",
    "created",
    IMAGE_REPOSITORY,
  ]);
  const old = listed
    .split("\n")
    .filter((ref) => ref.startsWith(`${IMAGE_REPOSITORY}:ctx-`) && ref !== current)
    .slice(KEEP_OLD_IMAGES);
  for (const ref of old) {
    // In use by a container: podman refuses, and that is fine.
    if ((await podmanRaw(["rmi", ref])).status === 0) log(`removed the image of an earlier tree: ${ref}`);
  }
}

export async function imageBytes(tag: string): Promise<number> {
  return Number(await podman(["image", "inspect", "--format", "{{.Size}}", tag]));
}

export interface Layer {
  bytes: number;
  createdBy: string;
}

/** The image's layers, base first, with the instruction that made each. */
export async function imageLayers(tag: string): Promise<Layer[]> {
  const rows = JSON.parse(await podman(["history", "--format", "json", tag])) as Array<{
    size: number;
    CreatedBy?: string;
    createdBy?: string;
  }>;
  return rows
    .reverse()
    .map((row) => ({ bytes: row.size, createdBy: (row.CreatedBy ?? row.createdBy ?? "").trim() }));
}

if (require.main === module) {
  void (async () => {
    const image = await ensureImage((line) => console.log(line));
    console.log(`IMAGE=${image.tag}`);
    console.log(`size ${(image.bytes / 1e6).toFixed(0)} MB; layers (base first):`);
    for (const layer of await imageLayers(image.tag)) {
      if (layer.bytes > 0)
        console.log(`  ${(layer.bytes / 1e6).toFixed(1).padStart(8)} MB  ${layer.createdBy.slice(0, 110)}`);
    }
  })().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
