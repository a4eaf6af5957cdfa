/** multi_label: any number of labels; number keys toggle them. */
import { html, nothing } from "lit";
import { digitIndex, labelsOf, setting } from "../lib/fields";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { choiceButtons, keyHint } from "./choices";

export class MultiLabelWidget extends Widget<string[]> {
  override render() {
    const chosen = new Set(this.value ?? []);
    const choices = labelsOf(this.question).map((label, index) => ({
      value: label,
      text: label,
      selected: chosen.has(label),
      key: keyHint(index),
    }));
    const min = setting(this.question, "min_selected", 0);
    const max = setting<number | null>(this.question, "max_selected", null);
    const bounds = min > 0 || max !== null ? html`<p class="fl-hint">Choose ${boundsText(min, max)}.</p>` : nothing;
    return html`${choiceButtons(choices, "checkbox", this.question.prompt || this.question.name, (v) => this.toggle(v), this.disabled)}${bounds}`;
  }

  private toggle(label: string): void {
    const chosen = new Set(this.value ?? []);
    if (chosen.has(label)) chosen.delete(label);
    else chosen.add(label);
    // The server stores labels in the order of the settings; send them that way.
    this.emit(labelsOf(this.question).filter((l) => chosen.has(l)));
  }

  override handleKey(event: KeyboardEvent): KeyResult {
    const label = labelsOf(this.question)[digitIndex(event)];
    if (label === undefined) return false;
    this.toggle(label);
    return "handled";
  }

  override shortcuts(): Shortcut[] {
    return [{ keys: "1 … 9, 0", does: "toggle that label" }];
  }
}

function boundsText(min: number, max: number | null): string {
  if (max === null) return `at least ${min}`;
  return min === max ? `exactly ${min}` : `${min} to ${max}`;
}
customElements.define("fl-multi-label-widget", MultiLabelWidget);
