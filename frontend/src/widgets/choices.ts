/** A row of numbered choice buttons, shared by the label, multi-label, rating and pairwise widgets. */
import { html, nothing, type TemplateResult } from "lit";

export interface Choice {
  value: string;
  text: string;
  selected: boolean;
  /** Shown as the key to press, when the choice has one. */
  key?: string;
}

export function choiceButtons(
  choices: Choice[],
  role: "radio" | "checkbox",
  label: string,
  pick: (value: string) => void,
  disabled = false,
): TemplateResult {
  const focusIndex = Math.max(0, choices.findIndex((c) => c.selected));
  return html`<div class="fl-choices" role=${role === "radio" ? "radiogroup" : "group"} aria-label=${label}>
    ${choices.map(
      (choice, index) =>
        html`<button
          type="button"
          class="fl-choice"
          role=${role}
          aria-checked=${choice.selected ? "true" : "false"}
          tabindex=${index === focusIndex ? 0 : -1}
          ?disabled=${disabled}
          data-value=${choice.value}
          @click=${() => pick(choice.value)}
          @keydown=${(e: KeyboardEvent) => arrowFocus(e)}
        >
          ${choice.key ? html`<kbd aria-hidden="true">${choice.key}</kbd>` : nothing}<span>${choice.text}</span>
        </button>`,
    )}
  </div>`;
}

/** Arrow keys move focus along a row of choices (the roving focus of a radio group). */
function arrowFocus(event: KeyboardEvent): void {
  const step = event.key === "ArrowRight" || event.key === "ArrowDown" ? 1 : event.key === "ArrowLeft" || event.key === "ArrowUp" ? -1 : 0;
  if (step === 0) return;
  const button = event.currentTarget as HTMLElement;
  const buttons = Array.from(button.parentElement?.querySelectorAll<HTMLElement>("button") ?? []);
  const next = buttons[(buttons.indexOf(button) + step + buttons.length) % buttons.length];
  event.preventDefault();
  event.stopPropagation();
  next?.focus();
}

/** The key hint for the n-th choice: 1-9, then 0 for the tenth, none beyond. */
export function keyHint(index: number): string | undefined {
  if (index < 9) return String(index + 1);
  return index === 9 ? "0" : undefined;
}
