/** A word diff for the rewrite widget's live view, in the shape the server stores with the
 * answer (questions/rewrite.py): [op, text] segments, "=" kept, "-" deleted, "+" inserted,
 * each change written as its deletions, then its insertions. The server computes the stored
 * one; this one only shows the worker what they changed while they type. */

export type Op = "=" | "-" | "+";
export type Segment = [Op, string];

/** A word, or one other character, with the whitespace after it (as the server splits). */
const TOKEN = /[\p{L}\p{N}_]+\s*|[^\p{L}\p{N}_\s]\s*|\s+/gu;
/** Past this many edits the change is shown as one replacement: the search's memory grows
 * with the square of the edits, and a rewrite that different reads as new text anyway. */
const MAX_EDITS = 1000;

export function wordDiff(before: string, after: string): Segment[] {
  const a = before.match(TOKEN) ?? [];
  const b = after.match(TOKEN) ?? [];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const middle = a.slice(start, endA);
  const changed = b.slice(start, endB);
  const edits = myers(middle, changed) ?? [...middle.map((t): Segment => ["-", t]), ...changed.map((t): Segment => ["+", t])];
  return joined([...a.slice(0, start).map((t): Segment => ["=", t]), ...edits, ...a.slice(endA).map((t): Segment => ["=", t])]);
}

/** Token by token edits from a to b, the fewest of them (Myers' O(ND) search, then its path
 * traced back); null past MAX_EDITS. */
function myers(a: string[], b: string[]): Segment[] | null {
  const n = a.length;
  const m = b.length;
  const offset = n + m + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, MAX_EDITS); d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return traced(trace, a, b);
    }
  }
  return null;
}

/** trace[d] holds the furthest x on diagonals -d-1 .. d+1 before step d. */
function traced(trace: Int32Array[], a: string[], b: string[]): Segment[] {
  const edits: Segment[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const before = trace[d]!;
    const at = (k: number) => before[k + d + 1]!;
    const k = x - y;
    const fromK = d === 0 ? 0 : k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const fromX = d === 0 ? 0 : at(fromK);
    const fromY = fromX - fromK;
    while (x > fromX && y > fromY) {
      y--;
      edits.push(["=", a[--x]!]);
    }
    if (d > 0) edits.push(x === fromX ? ["+", b[--y]!] : ["-", a[--x]!]);
  }
  return edits.reverse();
}

/** Runs of one op as one segment, deletions moved before the insertions beside them. */
function joined(edits: Segment[]): Segment[] {
  const segments: Segment[] = [];
  let deleted = "";
  let inserted = "";
  const flush = () => {
    if (deleted) segments.push(["-", deleted]);
    if (inserted) segments.push(["+", inserted]);
    deleted = inserted = "";
  };
  for (const [op, text] of edits) {
    if (op === "-") deleted += text;
    else if (op === "+") inserted += text;
    else {
      flush();
      const last = segments[segments.length - 1];
      if (last?.[0] === "=") last[1] += text;
      else segments.push(["=", text]);
    }
  }
  flush();
  return segments;
}
