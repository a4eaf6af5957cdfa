/** One pending call that can be pushed back, run now, or dropped (autosave). */
export class Debouncer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pending: (() => void) | null = null;

  constructor(private readonly delayMs: number) {}

  schedule(fn: () => void): void {
    this.cancel();
    this.pending = fn;
    this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    const fn = this.pending;
    this.cancel();
    fn?.();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  get isPending(): boolean {
    return this.pending !== null;
  }
}
