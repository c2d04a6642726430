import { connect } from "node:net";

/**
 * A provider process must not outlive the engine that started it. Go plugins call the SDK's
 * rpcutil.Healthcheck for this; the Node dynamic-provider host has nothing like it, so after a
 * kill -9 of the CLI this process would go on polling Coolify for a deployment nobody waits for.
 * The engine's address is the host's first argument; when a connection to it is refused, the
 * engine is gone and the process exits.
 */
const EVERY_MS = 2_000;
let watching = false;

/** The engine's gRPC address as the host received it ("127.0.0.1:PORT"), if this is a provider process. */
export function engineAddress(
  argv: readonly string[] = process.argv,
): { host: string; port: number } | undefined {
  const m = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(argv[2] ?? "");
  return m ? { host: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]) } : undefined;
}

export function watchEngine(
  address = engineAddress(),
  onGone: () => void = () => process.exit(1),
  everyMs = EVERY_MS,
): (() => void) | undefined {
  if (watching || !address) return undefined;
  watching = true;
  let gone = false;
  const timer = setInterval(() => {
    const socket = connect(address.port, address.host);
    socket.setTimeout(everyMs);
    socket.once("connect", () => socket.destroy());
    socket.once("timeout", () => socket.destroy());
    socket.once("error", (e: NodeJS.ErrnoException) => {
      socket.destroy();
      if (e.code === "ECONNREFUSED" && !gone) {
        gone = true;
        onGone();
      }
    });
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    watching = false;
  };
}
