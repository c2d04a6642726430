// A virtual clock for benchmarks: time moves only when the driver lets it, straight to the
// earliest sleeper, so minutes of polling and rate-limit waits run in seconds and the numbers
// do not depend on the machine. The simulator's own clock is stepped along with it.
import { subscribe } from "node:diagnostics_channel";
import type { Clock } from "../providers/coolify/src/client/clock";

/** A clock whose time advances only when the driver lets it: to the earliest sleeper. */
export class SteppedClock implements Clock {
  private t = 1_000_000;
  private sleepers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(private readonly onAdvance: (ms: number) => void) {}

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sleeper = { at: this.t + ms, seq: this.seq++, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Wake the earliest sleeper (and any due at the same time). */
  advance(): void {
    this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const first = this.sleepers[0];
    if (!first) return;
    const delta = first.at - this.t;
    if (delta > 0) {
      this.t = first.at;
      this.onAdvance(delta);
    }
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
  }
}

/**
 * HTTP requests under way in this process (undici's diagnostics channels: the Coolify client
 * sends through undici). While one is, time must not move: the answer is on its way.
 */
class InFlight {
  count = 0;
  /** Bumped on every start and end, so the driver can tell a quiet loop from a busy one. */
  events = 0;
  private readonly open = new WeakSet<object>();

  constructor() {
    subscribe("undici:request:create", (m) => {
      this.open.add((m as { request: object }).request);
      this.count++;
      this.events++;
    });
    const end = (m: unknown) => {
      const r = (m as { request: object }).request;
      if (!this.open.has(r)) return;
      this.open.delete(r);
      this.count--;
      this.events++;
    };
    subscribe("undici:request:trailers", end);
    subscribe("undici:request:error", end);
  }
}

let inFlight: InFlight | undefined;

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Runs work to its end on the clock: whenever no HTTP request is under way, the event loop has
 * been quiet for a few turns and someone sleeps on the clock, time jumps to the earliest sleeper.
 * Everything that waits in the work must wait on this clock (setProviderClock, the client's
 * clock), or it waits in real time, which is correct but slow.
 */
export async function onVirtualTime<T>(clock: SteppedClock, work: Promise<T>): Promise<T> {
  inFlight ??= new InFlight();
  const flight = inFlight;
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  result.catch(() => {});
  let quietTurns = 0;
  let lastEvents = flight.events;
  while (!done) {
    await turn();
    if (flight.count > 0 || flight.events !== lastEvents) {
      lastEvents = flight.events;
      quietTurns = 0;
      continue;
    }
    if (++quietTurns >= 3 && clock.sleeping > 0) {
      quietTurns = 0;
      clock.advance();
    }
  }
  return result;
}
