import type { WaitEvent } from "../client/client";

/**
 * How the provider speaks to the person running `pulumi`: the engine shows what a provider
 * process writes to stderr in the CLI output, as it comes (a dynamic provider has no other
 * channel: the host gives it no engine logger). One line per message, prefixed so it reads as
 * ours.
 */
export function tell(line: string, write: (s: string) => void = (s) => process.stderr.write(s)): void {
  write(`eliza-coolify: ${line}\n`);
}

/** Waits shorter than this pass unannounced: they look like an ordinary slow request. */
const ANNOUNCE_FROM_MS = 3_000;
/** Many requests wait on the same limit at once: one message per reason per this long. */
const QUIET_FOR_MS = 15_000;

const lastTold = new Map<WaitEvent["reason"], number>();

/** The client's onWait hook: says what `pulumi up` is waiting for, and for how long. */
export function tellWait(e: WaitEvent, now = Date.now(), write?: (s: string) => void): void {
  if (e.ms < ANNOUNCE_FROM_MS) return;
  const last = lastTold.get(e.reason);
  if (last !== undefined && now - last < QUIET_FOR_MS) return;
  lastTold.set(e.reason, now);
  const seconds = Math.ceil(e.ms / 1000);
  tell(
    e.reason === "rate_limited"
      ? `Coolify's rate limit was reached (429 on ${e.method} ${e.path}); waiting ${seconds} s for its window, ` +
          "as it asked (Retry-After). Other tools using the same Coolify user share the limit."
      : `pacing requests to stay within coolify:rateLimitPerMinute; the next one goes out in ${seconds} s.`,
    write,
  );
}

/** Tests: forget what was told. */
export function resetTold(): void {
  lastTold.clear();
}
