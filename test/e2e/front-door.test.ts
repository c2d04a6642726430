// The dev stack with a front door, through the real pulumi CLI on the simulator: up writes the
// labels past Coolify's readonly labels and the CORS origin into the env; a second preview and
// up change nothing; a refresh finds nothing to change; a changed rate limit is one labels
// PATCH and a redeploy; destroy leaves Coolify empty.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLabels } from "../../providers/coolify/src/provider/proxy-labels";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

type LogEntry = { method: string; path: string };
const FRONTEND = "https://app.staging.example.com";

describe("the dev stack with a front door on the simulator", () => {
  let t: LocalStack;
  const api = (log: LogEntry[]) => log.filter((e) => e.path.startsWith("/api/v1"));
  const writes = (log: LogEntry[]) => api(log).filter((e) => e.method !== "GET");
  async function during(fn: () => Promise<unknown>): Promise<LogEntry[]> {
    t.sim.control.clearRequestLog();
    await fn();
    return t.sim.control.requestLog();
  }
  const noChanges = (summary: Record<string, number | undefined>) =>
    Object.entries(summary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
  const app = (name: string) => t.sim.control.state().applications.find((a) => a.name === name);
  const labelsOf = (name: string) => decodeLabels(app(name)?.custom_labels as string | undefined);
  const frontDoor = (average: number) => ({
    value: JSON.stringify({ rateLimit: { average, period: "1m", burst: 50 }, corsOrigins: [FRONTEND] }),
  });

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "dev", config: { "eliza-coolify:frontDoor": frontDoor(120) } });
  });
  afterAll(async () => t?.close());

  it("deploys with the front door's labels on each application and CORS in its env", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const bod = app("server-bod");
    const uuid = String(bod?.uuid);
    const labels = labelsOf("server-bod");
    expect(labels).toContain(
      `traefik.http.routers.https-0-${uuid}.rule=Host(\`bod.staging.example.com\`) && PathPrefix(\`/\`)`,
    );
    expect(labels).toContain(`traefik.http.middlewares.fd-ratelimit-${uuid}.ratelimit.average=120`);
    expect(labels).toContain(`traefik.http.middlewares.fd-headers-${uuid}.headers.stsSeconds=31536000`);
    expect(labelsOf("release-scribe").some((l) => l.includes("Host(`scribe.staging.example.com`)"))).toBe(
      true,
    );
    const envs = await fetch(`${t.sim.apiUrl}/applications/${uuid}/envs`, {
      headers: { authorization: `Bearer ${t.sim.rootToken}`, accept: "application/json" },
    });
    const list = (await envs.json()) as { key: string; value: string }[];
    const env = Object.fromEntries(list.map((e) => [e.key, e.value]));
    expect(env).toMatchObject({ CORS_ORIGIN: FRONTEND, API_CORS_ORIGIN: FRONTEND, ELIZA_UI_ENABLE: "false" });
  });

  it("then previews, ups and refreshes with no change", async () => {
    const log = await during(async () => {
      const preview = await t.stack.preview({ onOutput: t.onOutput });
      expect(noChanges(preview.changeSummary)).toEqual([]);
      const up = await t.stack.up({ onOutput: t.onOutput });
      expect(noChanges(up.summary.resourceChanges ?? {})).toEqual([]);
      const refresh = await t.stack.refresh({ onOutput: t.onOutput });
      expect(noChanges(refresh.summary.resourceChanges ?? {})).toEqual([]);
    });
    expect(writes(log)).toEqual([]);
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(noChanges(preview.changeSummary)).toEqual([]);
  });

  it("applies a changed rate limit with one labels PATCH per agent and a redeploy each", async () => {
    const log = await during(async () => {
      await t.stack.setConfig("eliza-coolify:frontDoor", frontDoor(300));
      const up = await t.stack.up({ onOutput: t.onOutput });
      expect(up.summary.result).toBe("succeeded");
    });
    const patches = writes(log).filter(
      (e) => e.method === "PATCH" && e.path.startsWith("/api/v1/applications/"),
    );
    expect(patches).toHaveLength(2);
    // Besides the check that the token may deploy (a probe that changes nothing).
    const deploys = writes(log).filter((e) => e.path.startsWith("/api/v1/deploy"));
    expect(deploys.filter((e) => !e.path.includes("eliza-coolify-ability-check"))).toHaveLength(2);
    expect(labelsOf("server-bod")).toContain(
      `traefik.http.middlewares.fd-ratelimit-${String(app("server-bod")?.uuid)}.ratelimit.average=300`,
    );
  });

  it("destroys everything and leaves Coolify empty", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    expect(t.sim.control.state().applications).toEqual([]);
  });
});
