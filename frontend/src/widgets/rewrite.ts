/** rewrite: edit a response into the ideal one. The text box starts with the original (the
 * item field, or the conversation's last assistant message); a live word diff against it
 * shows and hides with D (Esc leaves the text box first), with character and word counts
 * against the project's limits. The server computes the diff it stores at submit. */
import { html, nothing } from "lit";
import { wordDiff } from "../lib/diff";
import { isChat, setting } from "../lib/fields";
import type { Fields, Question, Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";

/** What the server stores (text and its diff); the widget sends the text alone. */
export interface Rewrite {
  text: string;
  diff?: unknown;
}

/** The response to rewrite, as the server reads it (questions/rewrite.py). */
export function originalOf(question: Question, fields: Fields): string | null {
  const value = fields[setting(question, "field", "response")];
  if (typeof value === "string") return value;
  if (!isChat(value)) return null;
  const last = [...value].reverse().find((m) => m.role === "assistant" && typeof m.content === "string");
  return last ? last.content : null;
}

/** An untouched rewrite is the original kept, where the project allows that. */
export function keptOriginal(question: Question, fields: Fields): Rewrite | undefined {
  const original = originalOf(question, fields);
  return original !== null && setting(question, "allow_unchanged", false) ? { text: original } : undefined;
}

const collapsed = (text: string) => text.split(/\s+/).filter(Boolean).join(" ");
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

export class RewriteWidget extends Widget<Rewrite | string> {
  static override properties = { ...Widget.properties, showDiff: { state: true } };
  declare showDiff: boolean;

  constructor() {
    super();
    this.showDiff = false;
  }

  private get text(): string | null {
    if (typeof this.value === "string") return this.value;
    return this.value?.text ?? originalOf(this.question, this.fields);
  }

  override render() {
    const original = originalOf(this.question, this.fields);
    const text = this.text;
    if (original === null || text === null) {
      return html`<p class="fl-field-error">This item has no response to rewrite.</p>`;
    }
    const id = `fl-rewrite-${this.question.name}`;
    const max = setting(this.question, "max_length", 20000);
    const min = setting(this.question, "min_length", 1);
    const unchanged = collapsed(text) === collapsed(original);
    return html`<div class="fl-rewrite">
      <label class="fl-visually-hidden" for=${id}>${this.question.prompt || "Rewrite the response"}</label>
      <textarea
        id=${id}
        data-focus-target
        rows="8"
        maxlength=${max}
        .value=${text}
        ?disabled=${this.disabled}
        @input=${this.onInput}
        aria-describedby="${id}-count"
      ></textarea>
      <p class="fl-hint" id="${id}-count">
        <span data-count="chars">${[...text].length}</span> / ${max} characters${min > 1 ? html`, at least ${min}` : nothing} ·
        <span data-count="words">${words(text)}</span> words (the original has ${words(original)})${unchanged
          ? html` · <strong>${setting(this.question, "allow_unchanged", false) ? "unchanged (allowed)" : "not changed yet"}</strong>`
          : nothing}
      </p>
      <button type="button" class="fl-diff-toggle" aria-pressed=${this.showDiff ? "true" : "false"} aria-controls="${id}-diff" @click=${this.toggleDiff}>
        ${this.showDiff ? "Hide" : "Show"} changes <kbd>D</kbd>
      </button>
      ${this.showDiff ? this.renderDiff(original, text, `${id}-diff`) : nothing}
    </div>`;
  }

  private renderDiff(original: string, text: string, id: string) {
    const parts = wordDiff(original, text).map(([op, part]) =>
      op === "=" ? html`<span>${part}</span>` : op === "-" ? html`<del>${part}</del>` : html`<ins>${part}</ins>`,
    );
    // On one line: the panel keeps whitespace (pre-wrap), so the template must add none.
    return html`<div class="fl-diff" id=${id} role="region" aria-label="Changes from the original">${parts}</div>`;
  }

  private onInput(event: Event): void {
    this.emit({ text: (event.target as HTMLTextAreaElement).value }, true);
  }

  private toggleDiff(): void {
    this.showDiff = !this.showDiff;
  }

  override handleKey(event: KeyboardEvent): KeyResult {
    if (event.key.toLowerCase() !== "d" || event.ctrlKey || event.metaKey || event.altKey) return false;
    this.toggleDiff();
    return "handled";
  }

  override shortcuts(): Shortcut[] {
    return [
      { keys: "Ctrl+Enter", does: "submit while typing" },
      { keys: "Esc", does: "leave the text box" },
      { keys: "D", does: "show or hide the changes against the original" },
    ];
  }
}
customElements.define("fl-rewrite-widget", RewriteWidget);
