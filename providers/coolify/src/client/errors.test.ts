import { describe, expect, it } from "vitest";
import { credentialsFrom } from "./credentials";
import {
  CoolifyError,
  describeTarget,
  errorFromResponse,
  isHasResources,
  isNotFound,
  networkError,
  normaliseFieldErrors,
} from "./errors";

function fromStatus(
  status: number,
  body: unknown,
  extra: Partial<Parameters<typeof errorFromResponse>[0]> = {},
) {
  return errorFromResponse({
    status,
    method: "POST",
    path: "/applications/dockerimage",
    body,
    bodyText: JSON.stringify(body),
    attempts: 1,
    ...extra,
  });
}

describe("credentialsFrom", () => {
  it("prefers the environment variables over config", () => {
    const c = credentialsFrom(
      { url: "https://config.example.com", token: "1|config" },
      { COOLIFY_URL: "https://env.example.com", COOLIFY_TOKEN: "2|env" },
    );
    expect(c).toEqual({ url: "https://env.example.com", token: "2|env" });
  });

  it("falls back to config, and treats blank env values as unset", () => {
    const c = credentialsFrom(
      { url: "https://c.example.com", token: "1|c" },
      { COOLIFY_URL: "  ", COOLIFY_TOKEN: "" },
    );
    expect(c).toEqual({ url: "https://c.example.com", token: "1|c" });
  });

  it("says how to set a missing URL", () => {
    const e = catchError(() => credentialsFrom({ token: "1|x" }, {}));
    expect(e.code).toBe("configuration");
    expect(e.message).toContain("pulumi config set coolify:url");
    expect(e.message).toContain("COOLIFY_URL");
  });

  it("says how to set a missing token, as a secret", () => {
    const e = catchError(() => credentialsFrom({ url: "https://c.example.com" }, {}));
    expect(e.code).toBe("configuration");
    expect(e.message).toContain("pulumi config set --secret coolify:token");
    expect(e.message).toContain("COOLIFY_TOKEN");
    expect(e.message).toContain("Keys & Tokens -> API tokens");
  });

  it("reads process.env by default", () => {
    const saved = { url: process.env.COOLIFY_URL, token: process.env.COOLIFY_TOKEN };
    process.env.COOLIFY_URL = "https://p.example.com";
    process.env.COOLIFY_TOKEN = "9|p";
    try {
      expect(credentialsFrom()).toEqual({ url: "https://p.example.com", token: "9|p" });
    } finally {
      restore("COOLIFY_URL", saved.url);
      restore("COOLIFY_TOKEN", saved.token);
    }
  });
});

describe("error messages", () => {
  it("401: wrong or expired token, where to create one and where to set it", () => {
    const e = fromStatus(401, { message: "Unauthenticated." });
    expect(e.code).toBe("unauthorized");
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/wrong, expired/);
    expect(e.message).toContain("Keys & Tokens -> API tokens");
    expect(e.message).toContain("pulumi config set --secret coolify:token");
    expect(e.message).toContain("COOLIFY_TOKEN");
  });

  it("403 API disabled: where to enable it and the IP allow-list", () => {
    const e = fromStatus(403, { success: true, message: "API is disabled." });
    expect(e.code).toBe("api_disabled");
    expect(e.message).toContain("Settings -> Advanced");
    expect(e.message).toMatch(/allowed IPs|allow-list/);
  });

  it("403 IP not allowed", () => {
    const e = fromStatus(403, { success: true, message: "You are not allowed to access the API." });
    expect(e.code).toBe("api_disabled");
    expect(e.message).toContain("allow-list");
    expect(e.message).toContain("0.0.0.0");
  });

  it("403 missing ability names the ability and the recommended token", () => {
    const e = fromStatus(403, { message: "Missing required permissions: deploy" });
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("`deploy` ability");
    expect(e.message).toContain("`root`");
    expect(e.message).toContain("read, write and deploy");
    expect(e.message).toContain("read:sensitive");
  });

  it("403 team member with an elevated token", () => {
    const e = fromStatus(403, { message: "Missing required team role." });
    expect(e.code).toBe("forbidden");
    expect(e.message).toMatch(/admin or owner/);
  });

  it("403 policy denial keeps the server's text", () => {
    const e = fromStatus(403, {
      message: "You are not authorized to perform this action.",
      error: "Unauthorized",
    });
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("You are not authorized to perform this action.");
  });

  it("404 names the kind and uuid", () => {
    const e = errorFromResponse({
      status: 404,
      method: "GET",
      path: "/applications/q8w4kc0os4gk0wc8sc4o8ggw",
      body: { message: "Application not found." },
      bodyText: "",
      attempts: 1,
    });
    expect(e.code).toBe("not_found");
    expect(isNotFound(e)).toBe(true);
    expect(e.message).toContain("application q8w4kc0os4gk0wc8sc4o8ggw");
  });

  it("404 catch-all route points at the URL and version", () => {
    const e = fromStatus(404, { message: "Not found.", docs: "https://coolify.io/docs" });
    expect(e.code).toBe("not_found");
    expect(e.message).toContain("does not know the endpoint");
    expect(e.message).toContain("4.2.0");
  });

  it("409 lists each conflicting domain and resource and mentions forceDomainOverride", () => {
    const conflicts = [
      {
        domain: "https://agent.example.com",
        resource_name: "other-agent",
        resource_uuid: "abcabcabcabcabcabcabcabc",
        resource_type: "application",
        message: "Domain is already in use",
      },
    ];
    const e = fromStatus(409, {
      message: "Domain conflicts detected. Use force_domain_override=true to proceed.",
      conflicts,
      warning: "...",
    });
    expect(e.code).toBe("conflict");
    expect(e.conflicts).toEqual(conflicts);
    expect(e.message).toContain('https://agent.example.com is already used by application "other-agent"');
    expect(e.message).toContain("abcabcabcabcabcabcabcabc");
    expect(e.message).toContain("forceDomainOverride");
  });

  it("409 without conflicts keeps the server message", () => {
    const e = fromStatus(409, {
      message: "Environment variable already exists. Use PATCH request to update it.",
    });
    expect(e.code).toBe("conflict");
    expect(e.conflicts).toBeUndefined();
    expect(e.message).toContain("Environment variable already exists");
  });

  it("422 shape (a): object of arrays", () => {
    const e = fromStatus(422, {
      message: "Validation failed.",
      errors: { name: ["The name field is required."], foo: ["This field is not allowed."] },
    });
    expect(e.code).toBe("validation");
    expect(e.fieldErrors).toEqual({
      name: ["The name field is required."],
      foo: ["This field is not allowed."],
    });
    expect(e.message).toContain("name: The name field is required.");
    expect(e.message).toContain("foo: This field is not allowed.");
  });

  it("422 shape (b): object of strings", () => {
    const e = fromStatus(422, {
      message: "Validation failed.",
      errors: { public_port: "Must be 1024-65535." },
    });
    expect(e.fieldErrors).toEqual({ public_port: ["Must be 1024-65535."] });
    expect(e.message).toContain("public_port: Must be 1024-65535.");
  });

  it("422 shape (c): bare array from the domains check", () => {
    const e = fromStatus(422, { message: "Validation failed.", errors: ["Invalid URL: not a url"] });
    expect(e.fieldErrors).toEqual({ domains: ["Invalid URL: not a url"] });
    expect(e.message).toContain("Invalid URL: not a url");
  });

  it("422 shape (d): message only", () => {
    const e = fromStatus(422, {
      message: "You need to provide at least one of environment_name or environment_uuid.",
    });
    expect(e.code).toBe("validation");
    expect(e.fieldErrors).toBeUndefined();
    expect(e.message).toContain("environment_name or environment_uuid");
  });

  it("429 after all attempts: the limit and the Retry-After", () => {
    const e = fromStatus(
      429,
      { message: "Too Many Attempts." },
      { attempts: 5, retryAfterSeconds: 42, rateLimitHeader: "200" },
    );
    expect(e.code).toBe("rate_limited");
    expect(e.retryAfterSeconds).toBe(42);
    expect(e.message).toContain("after 5 attempt(s)");
    expect(e.message).toContain("42 s (Retry-After)");
    expect(e.message).toContain("200 requests per minute");
    expect(e.message).toContain("API_RATE_LIMIT");
  });

  it("429 deployment queue full", () => {
    const e = fromStatus(429, {
      message: "Deployment queue is full. Please wait for existing deployments to complete.",
    });
    expect(e.message).toContain("deployment queue is full");
  });

  it("400 has-resources is recognisable", () => {
    const e = errorFromResponse({
      status: 400,
      method: "DELETE",
      path: "/projects/p",
      body: { message: "Project has resources, so it cannot be deleted." },
      bodyText: "",
      attempts: 1,
    });
    expect(e.code).toBe("bad_request");
    expect(isHasResources(e)).toBe(true);
  });

  it("500 on a POST says it was not replayed", () => {
    const e = fromStatus(500, { message: "Server Error" });
    expect(e.code).toBe("server");
    expect(e.message).toContain("not sent again");
  });

  it("HTML bodies are not echoed", () => {
    const e = errorFromResponse({
      status: 502,
      method: "GET",
      path: "/projects",
      body: undefined,
      bodyText: "<html><body>Bad Gateway</body></html>",
      attempts: 5,
    });
    expect(e.message).not.toContain("<html>");
  });

  it("network error names the URL and coolify:url", () => {
    const e = networkError("network", {
      method: "GET",
      path: "/version",
      baseUrl: "https://coolify.example.com",
      attempts: 5,
      timeoutMs: 30_000,
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    });
    expect(e.code).toBe("network");
    expect(e.message).toContain("https://coolify.example.com");
    expect(e.message).toContain("ECONNREFUSED");
    expect(e.message).toContain("coolify:url");
    expect(e.message).toContain("COOLIFY_URL");
  });

  it("timeout names the duration", () => {
    const e = networkError("timeout", {
      method: "POST",
      path: "/projects",
      baseUrl: "https://c.example.com",
      attempts: 1,
      timeoutMs: 1234,
      cause: new Error("aborted"),
    });
    expect(e.code).toBe("timeout");
    expect(e.message).toContain("1234 ms");
    expect(e.message).toContain("not sent again");
  });
});

describe("helpers", () => {
  it("describeTarget", () => {
    expect(describeTarget("/databases/d1")).toBe("database d1");
    expect(describeTarget("/projects/p1/staging")).toBe('environment "staging" in project p1');
    expect(describeTarget("/applications/a1/envs/e1")).toBe("environment variable e1 of application a1");
    expect(describeTarget("/deployments/x1")).toBe("deployment x1");
  });

  it("normaliseFieldErrors ignores empty input", () => {
    expect(normaliseFieldErrors(undefined)).toBeUndefined();
    expect(normaliseFieldErrors({})).toBeUndefined();
    expect(normaliseFieldErrors([])).toBeUndefined();
  });
});

function catchError(f: () => unknown): CoolifyError {
  try {
    f();
  } catch (e) {
    if (e instanceof CoolifyError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

function restore(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe("token guidance by Coolify version", () => {
  it("asks for delete from 4.6.0 on, and names both cases when the version is not known", async () => {
    const { deleteAbilityRequired, tokenAbilitiesHelp } = await import("./errors");
    expect(deleteAbilityRequired("4.3.11")).toBe(false);
    expect(deleteAbilityRequired("4.5.9")).toBe(false);
    expect(deleteAbilityRequired("4.6.0")).toBe(true);
    expect(deleteAbilityRequired("v4.7.7")).toBe(true);
    expect(deleteAbilityRequired("5.0.0-beta.1")).toBe(true);
    expect(tokenAbilitiesHelp("4.3.11")).toBe(
      "`root`, or read, write and deploy, plus read:sensitive to detect drift in secret values",
    );
    expect(tokenAbilitiesHelp("4.7.7")).toContain("read, write, deploy and delete");
    expect(tokenAbilitiesHelp()).toContain("and delete on Coolify 4.6 and later");
  });

  it("a missing delete names the ability, the request and what it is needed for", async () => {
    const e = fromStatus(
      403,
      { message: "Missing required permissions: delete" },
      { method: "DELETE", path: "/applications/x" },
    );
    expect(e.ability).toBe("delete");
    expect(e.message).toContain("lacks the `delete` ability needed for DELETE /applications/x (403)");
    expect(e.message).toContain("Coolify 4.6 and later need it for every DELETE");
  });
});
