import { CoolifyError } from "./errors";

export interface Credentials {
  url: string;
  token: string;
}

/**
 * Resolves the Coolify URL and token at call time. The COOLIFY_URL and COOLIFY_TOKEN environment
 * variables win over stack config, so CI, token rotation and `pulumi destroy` after a rotation
 * work without touching state. Nothing is cached: every call reads the environment again.
 */
export function credentialsFrom(
  config?: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): Credentials {
  const url = firstNonEmpty(env.COOLIFY_URL, config?.url);
  const token = firstNonEmpty(env.COOLIFY_TOKEN, config?.token);
  if (!url) {
    throw new CoolifyError(
      "configuration",
      "The Coolify URL is not set. Set it with `pulumi config set coolify:url https://coolify.example.com` " +
        "(the address you open Coolify at), or set the COOLIFY_URL environment variable.",
    );
  }
  if (!token) {
    throw new CoolifyError(
      "configuration",
      "The Coolify API token is not set. Create one in Coolify under Keys & Tokens -> API tokens (a `root` " +
        "token, or read+write+deploy), then set it with `pulumi config set --secret coolify:token <token>`, or " +
        "set the COOLIFY_TOKEN environment variable.",
    );
  }
  return { url, token };
}

function firstNonEmpty(...values: (string | undefined)[]): string | undefined {
  for (const v of values) {
    const t = v?.trim();
    if (t) return t;
  }
  return undefined;
}
