/** label: one choice from a list; number keys pick, picking the chosen one again clears it. */
import { digitIndex, labelsOf } from "../lib/fields";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { choiceButtons, keyHint } from "./choices";

export class LabelWidget extends Widget<string> {
  override render() {
    const choices = labelsOf(this.question).map((label, index) => ({
      value: label,
      text: label,
      selected: this.value === label,
      key: keyHint(index),
    }));
    return choiceButtons(choices, "radio", this.question.prompt || this.question.name, (v) => this.pick(v), this.disabled);
  }

  private pick(label: string): void {
    this.emit(this.value === label ? undefined : label);
  }

  override handleKey(event: KeyboardEvent): KeyResult {
    const label = labelsOf(this.question)[digitIndex(event)];
    if (label === undefined) return false;
    this.emit(label);
    return "advance";
  }

  override shortcuts(): Shortcut[] {
    return [{ keys: "1 … 9, 0", does: "pick that label" }];
  }
}
customElements.define("fl-label-widget", LabelWidget);
