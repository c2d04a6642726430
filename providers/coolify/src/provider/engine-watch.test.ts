import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { engineAddress, watchEngine } from "./engine-watch";

describe("the provider process follows the engine", () => {
  it("reads the engine's address from the host's argument", () => {
    expect(engineAddress(["node", "index.js", "127.0.0.1:43117"])).toEqual({
      host: "127.0.0.1",
      port: 43117,
    });
    expect(engineAddress(["node", "vitest"])).toBeUndefined();
  });

  it("gives up once the engine stops answering, and not before", async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    let gone = 0;
    const stop = watchEngine({ host: "127.0.0.1", port }, () => gone++, 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(gone).toBe(0);
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise((r) => setTimeout(r, 400));
    expect(gone).toBe(1);
    stop?.();
  });
});
