/** Time on task and lease deadlines, measured with the monotonic clock so that a wrong or
 * changing system clock on the worker's computer cannot distort either. */

/** Counts only the time the page is visible: a tab left in the background is not work. */
export class TaskTimer {
  private accumulated = 0;
  private since: number | null = null;

  constructor(private readonly visible: () => boolean = () => document.visibilityState === "visible") {}

  start(initialMs = 0): void {
    this.accumulated = initialMs;
    this.since = this.visible() ? performance.now() : null;
  }

  /** Call on visibilitychange. */
  sync(): void {
    if (this.visible()) {
      this.since ??= performance.now();
    } else if (this.since !== null) {
      this.accumulated += performance.now() - this.since;
      this.since = null;
    }
  }

  stop(): number {
    const total = this.elapsedMs();
    this.since = null;
    this.accumulated = total;
    return total;
  }

  elapsedMs(): number {
    return this.accumulated + (this.since === null ? 0 : performance.now() - this.since);
  }
}

/** The lease's end, from the seconds the server said were left when it answered. */
export class LeaseClock {
  private readonly deadline: number;

  constructor(secondsLeft: number) {
    this.deadline = performance.now() + secondsLeft * 1000;
  }

  secondsLeft(): number {
    return Math.max(0, Math.ceil((this.deadline - performance.now()) / 1000));
  }
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
