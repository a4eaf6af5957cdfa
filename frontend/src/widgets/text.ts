/** text: free text, one line or many, with a live count against the length limits. */
import { html, nothing } from "lit";
import { setting } from "../lib/fields";
import type { Shortcut } from "../types";
import { Widget } from "./base";

export class TextWidget extends Widget<string> {
  override render() {
    const multiline = setting(this.question, "multiline", true);
    const min = setting(this.question, "min_length", 0);
    const max = setting(this.question, "max_length", 10000);
    const id = `fl-text-${this.question.name}`;
    const value = this.value ?? "";
    const length = [...value].length;
    const input = multiline
      ? html`<textarea id=${id} data-focus-target rows="4" maxlength=${max} .value=${value} ?disabled=${this.disabled} @input=${this.onInput} aria-describedby="${id}-count"></textarea>`
      : html`<input id=${id} data-focus-target type="text" maxlength=${max} .value=${value} ?disabled=${this.disabled} @input=${this.onInput} aria-describedby="${id}-count" />`;
    return html`<label class="fl-visually-hidden" for=${id}>${this.question.prompt || this.question.name}</label>${input}
      <p class="fl-hint" id="${id}-count">${length} / ${max} characters${min > 0 ? html`, at least ${min}` : nothing}</p>`;
  }

  private onInput(event: Event): void {
    const text = (event.target as HTMLInputElement | HTMLTextAreaElement).value;
    this.emit(text === "" ? undefined : text);
  }

  override shortcuts(): Shortcut[] {
    const multiline = setting(this.question, "multiline", true);
    return [
      { keys: multiline ? "Ctrl+Enter" : "Enter", does: "submit while typing" },
      { keys: "Esc", does: "leave the text box (then number keys work again)" },
    ];
  }
}
customElements.define("fl-text-widget", TextWidget);
