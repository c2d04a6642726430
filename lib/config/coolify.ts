/**
 * The Coolify provider's own config (`coolify:url`, `coolify:token`, `coolify:rateLimitPerMinute`),
 * checked with the rest so that a plain-text token or a malformed URL shows up with every other
 * problem. The provider reads these itself at call time; they are checked here only.
 */
import * as pulumi from "@pulumi/pulumi";
import { isHttpUrl } from "./formats";
import type { Problems } from "./problems";
import { isOutput, type SecretInput } from "./values";

export interface CoolifyConfig {
  url?: string;
  token?: pulumi.Output<string>;
}

export interface RawCoolifyConfig {
  url?: string;
  token?: SecretInput;
  tokenIsSecret?: boolean;
  rateLimitPerMinute?: string;
}

export function parseCoolify(raw: RawCoolifyConfig | undefined, problems: Problems): CoolifyConfig {
  const coolify: CoolifyConfig = {};
  if (raw?.url !== undefined && raw.url !== "") {
    if (isHttpUrl(raw.url, ["https:", "http:"])) coolify.url = raw.url.replace(/\/+$/, "");
    else
      problems.add(
        "coolify:url",
        "",
        "must be the http(s) URL of your Coolify instance, e.g. https://coolify.example.com — pulumi config set coolify:url <url>",
      );
  }
  const rate = raw?.rateLimitPerMinute;
  if (rate !== undefined && rate !== "" && !/^[1-9]\d{0,5}$/.test(rate.trim())) {
    problems.add(
      "coolify:rateLimitPerMinute",
      "",
      "must be a whole number of requests per minute — Coolify allows 200 per user by default, shared by every tool of that user; e.g. pulumi config set coolify:rateLimitPerMinute 150",
    );
  }
  const token = raw?.token;
  if (token !== undefined && token !== "") {
    if (isOutput(token)) coolify.token = pulumi.secret(token);
    else if (!raw?.tokenIsSecret) {
      problems.add(
        "coolify:token",
        "",
        "is stored in plain text — store it encrypted: pulumi config set --secret coolify:token <token> (or set COOLIFY_TOKEN in the environment)",
      );
    } else coolify.token = pulumi.secret(token);
  }
  return coolify;
}
