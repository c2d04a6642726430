/**
 * Coolify refuses `POST /deploy` with 429 "Deployment queue is full" once a server holds
 * `deployment_queue_limit` queued deployments (default 25; notes, coolify-api.md), and the client
 * treats every 429 as the rate limit: it pauses every request of the process for the Retry-After
 * of 60 s. A fleet deployed with the engine's parallelism above 25 hits that. So this process
 * keeps at most DEPLOYS_IN_QUEUE of its deployments in each server's queue at once (a little
 * under the default, for deploys of other users); the rest wait here, without requests, and go
 * in the order they came as earlier ones leave that server's queue. The queue and its limit are
 * per server (each server builds `concurrent_builds` at a time from its own queue), so a fleet on
 * several servers keeps several queues full, one gate each.
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

/** One gate per server; deployments that do not say their server share one. */
export class ServerGates {
  private readonly gates = new Map<string, Gate>();

  constructor(readonly limitPerServer: number) {}

  forServer(serverUuid: string | undefined): Gate {
    const key = serverUuid ?? "";
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new Gate(this.limitPerServer);
      this.gates.set(key, gate);
    }
    return gate;
  }

  /** Places held over all servers. */
  get inUse(): number {
    let n = 0;
    for (const gate of this.gates.values()) n += gate.inUse;
    return n;
  }
}

export const deployGates = new ServerGates(DEPLOYS_IN_QUEUE);
