/**
 * The schema of an agent's `source`: a pinned `image`, a public `git` repository Coolify builds,
 * or a local `build` Pulumi builds and pushes.
 */
import { z } from "zod";
import { IMAGE_NAME_PATTERN, imagePinProblem, isHttpUrl, parseImageReference } from "./formats";
import { nonEmpty, relativePath } from "./zod-fields";

export type ImageSource = { type: "image"; image: string };
export type GitSource = {
  type: "git";
  repository: string;
  branch: string;
  dockerfileLocation: string;
  baseDirectory: string;
};
export type BuildSource = {
  type: "build";
  context: string;
  dockerfile: string;
  imageName: string;
  registry?: { server: string; username: string };
};
export type AgentSource = ImageSource | GitSource | BuildSource;

/** Every key any kind of source may have, for "did you mean" hints. */
export const SOURCE_KEYS = [
  "type",
  "image",
  "repository",
  "branch",
  "dockerfileLocation",
  "baseDirectory",
  "context",
  "dockerfile",
  "imageName",
  "registry",
];

export const REGISTRY_KEYS = ["server", "username"];

const imageSourceSchema = z.strictObject({
  type: z.literal("image"),
  image: nonEmpty("a pinned image reference such as ghcr.io/acme/eliza-agent:1.7.2").superRefine(
    (ref, ctx) => {
      const problem = imagePinProblem(ref);
      if (problem) ctx.addIssue({ code: "custom", message: `"${ref}" ${problem}` });
    },
  ),
});

const gitSourceSchema = z.strictObject({
  type: z.literal("git"),
  repository: nonEmpty("the https URL of a public git repository").refine(
    (u) => isHttpUrl(u, ["https:"]) && new URL(u).pathname.split("/").filter(Boolean).length >= 2,
    {
      error:
        "must be the https URL of a public repository, e.g. https://github.com/acme/eliza-agent (SSH and private repos are not supported)",
    },
  ),
  branch: nonEmpty("a branch name").default("main"),
  dockerfileLocation: nonEmpty("the Dockerfile path inside the repository")
    .refine((p) => p.startsWith("/"), {
      error: 'must start with "/" (e.g. /Dockerfile), relative to baseDirectory',
    })
    .default("/Dockerfile"),
  baseDirectory: nonEmpty("the directory inside the repository to build from")
    .refine((p) => p.startsWith("/"), { error: 'must start with "/" (e.g. / or /agent)' })
    .default("/"),
});

const buildSourceSchema = z.strictObject({
  type: z.literal("build"),
  context: relativePath("the Docker build context").default("agent"),
  dockerfile: nonEmpty("the Dockerfile path relative to the context").default("Dockerfile"),
  imageName: nonEmpty("the image to push, registry/repository without a tag").superRefine((ref, ctx) => {
    const { tag, digest } = parseImageReference(ref);
    if (tag !== undefined || digest !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `"${ref}" must not include a tag or digest — the program tags each build eliza-coolify-<stack>-<agent> and deploys it by digest; give registry/repository only`,
      });
    } else if (!IMAGE_NAME_PATTERN.test(ref)) {
      ctx.addIssue({
        code: "custom",
        message: `"${ref}" is not a valid image name — use lowercase registry/repository, e.g. ghcr.io/acme/eliza-agent`,
      });
    }
  }),
  registry: z
    .strictObject({
      server: nonEmpty("the registry host, e.g. ghcr.io"),
      username: nonEmpty("the registry user name (the password goes in registryPassword, as a secret)"),
    })
    .optional(),
});

export const sourceSchema = z.discriminatedUnion(
  "type",
  [imageSourceSchema, gitSourceSchema, buildSourceSchema],
  {
    error: (issue) =>
      issue.input === undefined
        ? "missing — give source: {type: image, image: <repo>:<tag>} or {type: git, repository: https://...} or {type: build, imageName: <registry>/<repo>}"
        : 'type must be "image", "git" or "build"',
  },
);
