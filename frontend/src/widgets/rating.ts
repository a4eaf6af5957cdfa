/** rating: an integer on a scale; a number key picks that value, arrows step along the scale. */
import { digitIndex, digitOf, setting } from "../lib/fields";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { choiceButtons } from "./choices";

export class RatingWidget extends Widget<number> {
  private get scale(): number[] {
    const min = setting(this.question, "min", 1);
    const max = setting(this.question, "max", 5);
    return Array.from({ length: Math.max(0, max - min + 1) }, (_, i) => min + i);
  }

  override render() {
    const scale = this.scale;
    const direct = scale.every((v) => v >= 0 && v <= 9);
    const choices = scale.map((v, index) => ({
      value: String(v),
      text: String(v),
      selected: this.value === v,
      key: direct ? String(v) : index < 9 ? String(index + 1) : undefined,
    }));
    return choiceButtons(choices, "radio", this.question.prompt || this.question.name, (v) => this.pick(Number(v)), this.disabled);
  }

  private pick(v: number): void {
    this.emit(this.value === v ? undefined : v);
  }

  /** A scale within 0-9 maps each key to its own value; a wider one maps keys to positions. */
  override handleKey(event: KeyboardEvent): KeyResult {
    const scale = this.scale;
    const direct = scale.every((v) => v >= 0 && v <= 9);
    const digit = digitOf(event);
    if (digit === null) return false;
    const value = direct ? digit : scale[digitIndex(event)];
    if (value === undefined || !scale.includes(value)) return false;
    this.emit(value);
    return "advance";
  }

  override shortcuts(): Shortcut[] {
    return [{ keys: "number keys", does: "rate (the key is the value when the scale is 0 to 9)" }];
  }
}
customElements.define("fl-rating-widget", RatingWidget);
