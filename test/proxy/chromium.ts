// Debian's headless Chromium driven over the DevTools protocol: just what the web UI test needs
// (navigate, evaluate, type, press Enter, screenshot). Chromium resolves the test's hostname to
// loopback (--host-resolver-rules), so the page loads through the proxy as a browser would.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function chromiumBinary(): string {
  for (const name of ["chromium", "chromium-browser"]) {
    if (spawnSync("sh", ["-c", `command -v ${name}`]).status === 0) return name;
  }
  throw new Error("Chromium is missing: apt-get install chromium (test/proxy/run.sh installs it)");
}

export interface Page {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Evaluates an expression in the page and returns its value (awaiting promises). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  navigate(url: string): Promise<void>;
  /** Polls `expression` until it is truthy, or throws after timeoutMs. */
  waitFor(expression: string, timeoutMs: number, what: string): Promise<void>;
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function launchChromium(opts: { hostMap: string; port: number }): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), "front-door-chromium-"));
  const child: ChildProcess = spawn(
    chromiumBinary(),
    [
      "--headless",
      "--no-sandbox", // as root (notes/runtime-and-versions.md section 3)
      "--disable-gpu",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      `--remote-debugging-port=${opts.port}`,
      `--host-resolver-rules=${opts.hostMap}`,
      // The proxy's certificate comes from the test's own CA, which Chromium has no flag to trust;
      // TLS itself is verified by the Node clients against that CA.
      "--ignore-certificate-errors",
      "--window-size=1280,900",
      "about:blank",
    ],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 30_000;
  let wsUrl: string | undefined;
  while (!wsUrl && Date.now() < deadline) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${opts.port}/json/list`)).json()) as Array<{
        type: string;
        webSocketDebuggerUrl: string;
      }>;
      wsUrl = targets.find((t) => t.type === "page")?.webSocketDebuggerUrl;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!wsUrl) throw new Error("Chromium's DevTools endpoint did not come up within 30 s");
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", () => reject(new Error("cannot connect to Chromium's DevTools")));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (event: MessageEvent) => {
    const msg = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await send<{ result: { value?: unknown }; exceptionDetails?: { text: string } }>(
      "Runtime.evaluate",
      {
        expression,
        awaitPromise: true,
        returnByValue: true,
      },
    );
    if (r.exceptionDetails) throw new Error(`page error: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  };
  await send("Page.enable");
  await send("Runtime.enable");
  return {
    send,
    evaluate,
    async navigate(url) {
      await send("Page.navigate", { url });
      const until = Date.now() + 30_000;
      while (Date.now() < until && (await evaluate<string>("document.readyState")) !== "complete") {
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async waitFor(expression, timeoutMs, what) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (await evaluate<boolean>(`Boolean(${expression})`)) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    },
    async screenshot() {
      const r = await send<{ data: string }>("Page.captureScreenshot", { format: "png" });
      return Buffer.from(r.data, "base64");
    },
    async close() {
      ws.close();
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
