/** span: labelled character ranges of an item's text.
 *
 * A small widget of our own rather than @recogito/text-annotator: it renders the text as a
 * few plain text nodes in the light DOM, reads mouse selections with the DOM Range API, and
 * adds what the library does not give us: token-by-token selection from the keyboard, number
 * keys for labels, undo through the workspace, and offsets in code points (what the server
 * stores) instead of UTF-16 units. The library also ships its own store, popup and styles,
 * all of which would have to be bridged to Lit's render cycle. */
import { html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { digitIndex, labelsOf, setting } from "../lib/fields";
import { isHighSurrogate, isLowSurrogate, OffsetMap } from "../lib/offsets";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { choiceButtons, keyHint } from "./choices";

/** A span as the server stores it: offsets in code points, end exclusive. */
export interface Span {
  start: number;
  end: number;
  label: string;
  text?: string;
}

/** A word, a number with inner punctuation (42.50, 2024-08-14, ORD-123), or one other character. */
const TOKEN = /[^\s.,;:!?()[\]{}"“”‘’']+(?:[.,:'’][^\s.,;:!?()[\]{}"“”‘’']+)*|\S/gu;

export class SpanWidget extends Widget<Span[]> {
  static override properties = {
    ...Widget.properties,
    current: { state: true },
    cursor: { state: true },
    anchor: { state: true },
    selected: { state: true },
  };

  /** Index of the label that new spans get. */
  declare current: number;
  /** Keyboard selection, as token indexes; -1 when the keyboard has not been used. */
  declare cursor: number;
  declare anchor: number;
  /** The span picked by a click (start:end in code points), to relabel or remove. */
  declare selected: string | null;

  private text = "";
  private map = new OffsetMap("");
  private tokenCache: Array<[number, number]> | null = null;

  constructor() {
    super();
    this.current = 0;
    this.cursor = -1;
    this.anchor = -1;
    this.selected = null;
  }

  private get spans(): Span[] {
    return Array.isArray(this.value) ? this.value : [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("fields") || changed.has("question")) {
      const value = this.fields[setting(this.question, "field", "text")];
      this.text = typeof value === "string" ? value : "";
      this.map = new OffsetMap(this.text);
      this.tokenCache = null;
      this.cursor = this.anchor = -1;
      this.selected = null;
    }
  }

  override render() {
    const field = setting(this.question, "field", "text");
    if (typeof this.fields[field] !== "string") {
      return html`<p class="fl-field-error">This item has no text in the field “${field}” to mark.</p>`;
    }
    const labels = labelsOf(this.question);
    const choices = labels.map((label, index) => ({ value: label, text: label, selected: index === this.current, key: keyHint(index) }));
    return html`${choiceButtons(choices, "radio", "Label for new spans", (label) => this.pickLabel(labels.indexOf(label)), this.disabled)}
      <div
        class="fl-span-text fl-text"
        tabindex="0"
        data-focus-target
        aria-label="Text to mark: select with the mouse, or with arrows and Shift+arrows, then a number key"
        @mouseup=${this.onMouseUp}
      >${this.renderSegments()}</div>
      ${this.renderList(labels)}`;
  }

  /** The text cut at every span edge and at the keyboard selection: a handful of nodes,
   * whatever the text's length. */
  private renderSegments(): TemplateResult[] {
    const spans = this.spans.map((s) => ({ ...s, s16: this.map.unit(s.start), e16: this.map.unit(s.end) }));
    const keyboard = this.keyboardRange();
    const cuts = new Set([0, this.text.length]);
    for (const s of spans) cuts.add(s.s16).add(s.e16);
    if (keyboard) cuts.add(keyboard[0]).add(keyboard[1]);
    const edges = [...cuts].filter((c) => c >= 0 && c <= this.text.length).sort((a, b) => a - b);
    const labels = labelsOf(this.question);
    const out: TemplateResult[] = [];
    for (let i = 0; i < edges.length - 1; i++) {
      const [a, b] = [edges[i]!, edges[i + 1]!];
      const covering = spans.filter((s) => s.s16 <= a && s.e16 >= b);
      const top = covering[covering.length - 1];
      const inKeyboard = keyboard !== null && keyboard[0] <= a && keyboard[1] >= b;
      const piece = this.text.slice(a, b);
      if (!top && !inKeyboard) {
        out.push(html`${piece}`);
        continue;
      }
      const key = top ? `${top.start}:${top.end}` : "";
      out.push(html`<span
        class="fl-seg ${top ? "fl-marked" : ""} ${inKeyboard ? "fl-kbd-sel" : ""} ${key && key === this.selected ? "fl-picked" : ""}"
        style=${top ? `--mark: var(--fl-label-${labels.indexOf(top.label) % 10})` : ""}
        data-span=${key || nothing}
        data-end-label=${top && top.e16 === b ? top.label : nothing}
        >${piece}</span
      >`);
    }
    return out;
  }

  private renderList(labels: string[]): TemplateResult | typeof nothing {
    if (this.spans.length === 0) return html`<p class="fl-hint">No spans marked yet.</p>`;
    return html`<ul class="fl-span-list" aria-label="Marked spans">
      ${this.spans.map((span) => {
        const covered = span.text ?? this.slice(span);
        return html`<li data-span=${`${span.start}:${span.end}`}>
          <span class="fl-tag" style=${`--mark: var(--fl-label-${labels.indexOf(span.label) % 10})`}>${span.label}</span>
          <span class="fl-span-covered">${covered}</span>
          <button type="button" class="fl-remove" ?disabled=${this.disabled} aria-label=${`Remove ${span.label} “${covered}”`} @click=${() => this.removeSpans([span])}>×</button>
        </li>`;
      })}
    </ul>`;
  }

  protected override updated(): void {
    if (this.cursor >= 0 && this.active) this.querySelector(".fl-kbd-sel")?.scrollIntoView({ block: "nearest" });
  }

  // --- mouse ---------------------------------------------------------------------------------

  private onMouseUp(event: MouseEvent): void {
    if (this.disabled) return;
    const container = event.currentTarget as HTMLElement;
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      const hit = (event.target as Element).closest<HTMLElement>("[data-span]");
      const key = hit?.dataset["span"] ?? null;
      this.selected = key === this.selected ? null : key;
      return;
    }
    const range = selection.getRangeAt(0);
    const start = offsetIn(container, range.startContainer, range.startOffset);
    const end = offsetIn(container, range.endContainer, range.endOffset);
    selection.removeAllRanges();
    this.addRange(start, end, this.current);
  }

  // --- keyboard ------------------------------------------------------------------------------

  override handleKey(event: KeyboardEvent): KeyResult {
    const index = digitIndex(event);
    if (index >= 0) return this.onDigit(index);
    switch (event.key) {
      case "ArrowRight":
      case "ArrowLeft":
        return this.moveCursor(event.key === "ArrowRight" ? 1 : -1, event.shiftKey);
      case "Backspace":
      case "Delete":
        return this.removeAtCursor();
      case "Escape":
        if (this.cursor < 0 && this.selected === null) return false;
        this.cursor = this.anchor = -1;
        this.selected = null;
        return "handled";
      default:
        return false;
    }
  }

  private onDigit(index: number): KeyResult {
    const labels = labelsOf(this.question);
    if (index >= labels.length) return false;
    const range = this.keyboardRange();
    if (range) {
      this.addRange(range[0], range[1], index);
      this.anchor = this.cursor;
    } else {
      this.pickLabel(index);
    }
    return "handled";
  }

  private moveCursor(step: number, extend: boolean): KeyResult {
    const tokens = this.tokens();
    if (tokens.length === 0) return false;
    this.cursor = this.cursor < 0 ? (step > 0 ? 0 : tokens.length - 1) : Math.min(tokens.length - 1, Math.max(0, this.cursor + step));
    if (!extend || this.anchor < 0) this.anchor = this.cursor;
    return "handled";
  }

  private removeAtCursor(): KeyResult {
    const range = this.keyboardRange();
    let doomed: Span[] = [];
    if (range) {
      doomed = this.spans.filter((s) => this.map.unit(s.start) < range[1] && this.map.unit(s.end) > range[0]);
    } else if (this.selected) {
      doomed = this.spans.filter((s) => `${s.start}:${s.end}` === this.selected);
    }
    if (doomed.length === 0) return false;
    this.removeSpans(doomed);
    return "handled";
  }

  override shortcuts(): Shortcut[] {
    return [
      { keys: "← / →", does: "move word by word through the text" },
      { keys: "Shift+← / →", does: "extend the selection" },
      { keys: "1 … 9, 0", does: "label the selection (or choose the label for mouse selections)" },
      { keys: "Delete / Backspace", does: "remove the span under the selection" },
    ];
  }

  // --- the answer ------------------------------------------------------------------------------

  /** Label index for the next span; also relabels the span the worker clicked on, if any. */
  private pickLabel(index: number): void {
    this.current = index;
    const label = labelsOf(this.question)[index];
    const picked = this.spans.find((s) => `${s.start}:${s.end}` === this.selected);
    if (picked && label && picked.label !== label) {
      this.emit(sorted(this.spans.map((s) => (s === picked ? { ...s, label } : s))));
    }
  }

  /** Add a span over [start16, end16) with whitespace trimmed and emoji kept whole; without
   * allow_overlap it replaces the spans it overlaps. */
  private addRange(start16: number, end16: number, labelIndex: number): void {
    let [a, b] = [Math.min(start16, end16), Math.max(start16, end16)];
    while (a < b && /\s/.test(this.text[a]!)) a++;
    while (b > a && /\s/.test(this.text[b - 1]!)) b--;
    if (a > 0 && isLowSurrogate(this.text.charCodeAt(a)) && isHighSurrogate(this.text.charCodeAt(a - 1))) a--;
    if (b < this.text.length && isLowSurrogate(this.text.charCodeAt(b)) && isHighSurrogate(this.text.charCodeAt(b - 1))) b++;
    const label = labelsOf(this.question)[labelIndex];
    if (a >= b || label === undefined) return;
    const span: Span = { start: this.map.point(a), end: this.map.point(b), label, text: this.text.slice(a, b) };
    const overlap = setting(this.question, "allow_overlap", false);
    const kept = this.spans.filter((s) =>
      overlap ? !(s.start === span.start && s.end === span.end) : s.end <= span.start || s.start >= span.end,
    );
    this.current = labelIndex;
    this.selected = null;
    this.emit(sorted([...kept, span]));
  }

  private removeSpans(doomed: Span[]): void {
    const gone = new Set(doomed);
    this.selected = null;
    this.emit(this.spans.filter((s) => !gone.has(s)));
  }

  // --- text helpers ------------------------------------------------------------------------

  private tokens(): Array<[number, number]> {
    this.tokenCache ??= Array.from(this.text.matchAll(TOKEN), (m) => [m.index, m.index + m[0].length] as [number, number]);
    return this.tokenCache;
  }

  /** The keyboard selection in UTF-16 offsets, or null before the arrows are used. */
  private keyboardRange(): [number, number] | null {
    if (this.cursor < 0) return null;
    const tokens = this.tokens();
    const first = tokens[Math.min(this.anchor, this.cursor)];
    const last = tokens[Math.max(this.anchor, this.cursor)];
    return first && last ? [first[0], last[1]] : null;
  }

  private slice(span: Span): string {
    return this.text.slice(this.map.unit(span.start), this.map.unit(span.end));
  }
}

function sorted(spans: Span[]): Span[] {
  return [...spans].sort((x, y) => x.start - y.start || x.end - y.end || x.label.localeCompare(y.label));
}

/** The UTF-16 offset of a DOM position within the container's text; positions outside clamp to its ends. */
function offsetIn(container: HTMLElement, node: Node, offset: number): number {
  if (!container.contains(node)) {
    const after = container.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING;
    return after ? (container.textContent ?? "").length : 0;
  }
  const range = document.createRange();
  range.selectNodeContents(container);
  range.setEnd(node, offset);
  return range.toString().length;
}

customElements.define("fl-span-widget", SpanWidget);
