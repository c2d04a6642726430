/**
 * Coolify refuses `POST /deploy` with 429 "Deployment queue is full" once a server holds
 * `deployment_queue_limit` queued deployments (default 25; notes, coolify-api.md), and the client
 * treats every 429 as the rate limit: it pauses every request of the process for the Retry-After
 * of 60 s. A fleet deployed with the engine's parallelism above 25 hits that. So this process
 * keeps at most DEPLOYS_IN_QUEUE of its deployments in Coolify's queue at once (a little under
 * the default, for deploys of other users); the rest wait here, without requests, and go in the
 * order they came as earlier ones leave the queue.
 */
export const DEPLOYS_IN_QUEUE = 20;

export class Gate {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Resolves with a release function once a place is free. */
  async enter(): Promise<() => void> {
    if (this.held >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next(); // the place passes straight to the next in line
      else this.held--;
    };
  }

  get inUse(): number {
    return this.held;
  }

  get queued(): number {
    return this.waiting.length;
  }
}

export const deployGate = new Gate(DEPLOYS_IN_QUEUE);
