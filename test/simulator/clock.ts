// A virtual clock. Timed transitions (queued deletes, deployment phases, container status changes)
// are scheduled on it and applied lazily: before every request, on state() and on step(). No real
// timers are used, so tests are deterministic with setClockSpeed(0) + step(ms).

interface Task {
  at: number;
  seq: number;
  run: () => void;
}

export class VirtualClock {
  private anchorReal = Date.now();
  private anchorVirtual = Date.now();
  private speed = 1;
  private tasks: Task[] = [];
  private seq = 0;
  private running = false;

  now(): number {
    return this.anchorVirtual + (Date.now() - this.anchorReal) * this.speed;
  }

  setSpeed(factor: number): void {
    if (!Number.isFinite(factor) || factor < 0) throw new Error("clock speed must be a finite number >= 0");
    const now = this.now();
    this.anchorReal = Date.now();
    this.anchorVirtual = now;
    this.speed = factor;
    this.tick();
  }

  step(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error("step must be a finite number >= 0");
    this.anchorVirtual += ms;
    this.tick();
  }

  /** Virtual time of the task being run, so follow-up tasks are timed from when it was due. */
  private currentAt: number | undefined;

  /** Schedule fn at virtual time now()+delayMs (or due-time+delayMs inside a running task). */
  after(delayMs: number, run: () => void): void {
    this.tasks.push({ at: (this.currentAt ?? this.now()) + delayMs, seq: this.seq++, run });
  }

  /** Run every due task in time order (tasks may schedule further tasks). */
  tick(): void {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const now = this.now();
        let best: Task | undefined;
        for (const t of this.tasks) {
          if (t.at <= now && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
        }
        if (!best) break;
        this.tasks.splice(this.tasks.indexOf(best), 1);
        this.currentAt = best.at;
        try {
          best.run();
        } finally {
          this.currentAt = undefined;
        }
      }
    } finally {
      this.running = false;
    }
  }

  clearTasks(): void {
    this.tasks = [];
  }

  reset(): void {
    this.tasks = [];
    this.anchorReal = Date.now();
    this.anchorVirtual = Date.now();
    this.speed = 1;
  }
}
