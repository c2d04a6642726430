/**
 * The Node dynamic-provider host prints every error thrown from check, diff, read and delete to
 * stderr with its JS stack (`${e}: ${e.stack}`) before it hands the error to the engine, and the
 * CLI shows both: the message twice, once with a stack trace that tells a user nothing. Our
 * errors are written for users and complete, so the host's stderr copy of an error raised
 * through the registry is dropped; anything else the process prints still goes out.
 */
const pending = new Set<string>();
let installed = false;

function hostLine(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  return `${e}: ${e.stack}`;
}

function install(): void {
  if (installed) return;
  installed = true;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const first = args[0];
    if (args.length === 1 && typeof first === "string" && pending.delete(first)) return;
    original(...args);
  };
}

/** Marks an error on its way to the host so the host's stderr copy is dropped, then rethrows it. */
export function reportOnce(e: unknown): never {
  const line = hostLine(e);
  if (line !== undefined) {
    install();
    pending.add(line);
    // The host prints synchronously on the same rejection; never keep a line past that.
    setTimeout(() => pending.delete(line), 5_000).unref();
  }
  throw e;
}
