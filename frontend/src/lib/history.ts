/** Undo and redo of whole answer snapshots. Typing merges into one step per pause, so that
 * undo takes back a phrase rather than a letter; every other change is a step of its own. */

const LIMIT = 200;
const MERGE_MS = 1000;

export class History<T> {
  private past: T[] = [];
  private future: T[] = [];
  private lastKey: string | null = null;
  private lastAt = 0;

  /** Record `before` as the state to return to; changes with the same non-null `mergeKey`
   * less than a second apart are one step. */
  record(before: T, mergeKey: string | null, now = performance.now()): void {
    const merge = mergeKey !== null && mergeKey === this.lastKey && now - this.lastAt < MERGE_MS && this.past.length > 0;
    if (!merge) {
      this.past.push(before);
      if (this.past.length > LIMIT) this.past.shift();
    }
    this.future = [];
    this.lastKey = mergeKey;
    this.lastAt = now;
  }

  undo(current: T): T | undefined {
    const previous = this.past.pop();
    if (previous !== undefined) this.future.push(current);
    this.lastKey = null;
    return previous;
  }

  redo(current: T): T | undefined {
    const next = this.future.pop();
    if (next !== undefined) this.past.push(current);
    this.lastKey = null;
    return next;
  }

  /** Undo, or redo; undefined when there is nothing to. */
  step(current: T, redo: boolean): T | undefined {
    return redo ? this.redo(current) : this.undo(current);
  }

  clear(): void {
    this.past = [];
    this.future = [];
    this.lastKey = null;
  }
}
