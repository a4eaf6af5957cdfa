/** rubric: a score per criterion, one row each with its scale, the anchor texts on the scale
 * points, N/A where the criterion allows it and a justification box where it takes one.
 * Keyboard: a number key scores the focused criterion (the key is the score on a 0-9 scale,
 * the position otherwise) and moves on, to its justification box when that is required, else
 * to the next criterion; N marks it n/a; ↑/↓ move between criteria, ←/→ along a scale, Tab
 * through the rows' controls. */
import { html, nothing, type TemplateResult } from "lit";
import { digitIndex, digitOf, setting } from "../lib/fields";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { keyHint } from "./choices";

const NA = "n/a";

interface Criterion {
  name: string;
  title: string;
  points: number[];
  anchors: Record<string, string>;
  allowNa: boolean;
  justification: "required" | "optional" | "none";
}

export interface CriterionAnswer {
  score?: number | typeof NA;
  justification?: string;
}

export type RubricAnswer = Record<string, CriterionAnswer>;

/** The criteria as the server stored them (defaults filled in), read defensively. */
function criteriaOf(raw: unknown): Criterion[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((entry: Record<string, unknown>) => {
    const min = typeof entry["min"] === "number" ? entry["min"] : 1;
    const max = typeof entry["max"] === "number" ? entry["max"] : 5;
    const name = String(entry["name"] ?? "");
    return {
      name,
      title: typeof entry["label"] === "string" && entry["label"] ? entry["label"] : name,
      points: Array.from({ length: Math.max(0, max - min + 1) }, (_, i) => min + i),
      anchors: (entry["anchors"] ?? {}) as Record<string, string>,
      allowNa: entry["allow_na"] === true,
      justification: (entry["justification"] ?? "optional") as Criterion["justification"],
    };
  });
}

export class RubricWidget extends Widget<RubricAnswer> {
  static override properties = { ...Widget.properties, focused: { state: true } };
  /** The criterion that number keys score. */
  declare focused: number;
  private pendingFocus: { index: number; justification: boolean } | null = null;

  constructor() {
    super();
    this.focused = 0;
  }

  private get criteria(): Criterion[] {
    return criteriaOf(this.question.settings["criteria"]);
  }

  override render() {
    const criteria = this.criteria;
    if (criteria.length === 0) return html`<p class="fl-field-error">This rubric has no criteria.</p>`;
    return html`<div class="fl-rubric" role="group" aria-label=${this.question.prompt || this.question.name}>
      ${criteria.map((c, i) => this.row(c, i))}
    </div>`;
  }

  private row(criterion: Criterion, index: number): TemplateResult {
    const entry = this.value?.[criterion.name] ?? {};
    const id = `fl-rubric-${this.question.name}-${criterion.name}`;
    const direct = criterion.points.every((p) => p >= 0 && p <= 9);
    const options: Array<number | typeof NA> = [...criterion.points, ...(criterion.allowNa ? [NA as typeof NA] : [])];
    const chosen = options.findIndex((o) => o === entry.score);
    return html`<div
      class="fl-criterion"
      data-criterion=${criterion.name}
      ?data-focused=${index === this.focused && this.active}
      ?data-scored=${entry.score !== undefined}
      @focusin=${() => (this.focused = index)}
    >
      <p class="fl-criterion-title" id="${id}-title">
        ${criterion.title}${criterion.justification === "required" ? html` <span class="fl-hint">(justification required)</span>` : nothing}
      </p>
      <div class="fl-scale" role="radiogroup" aria-labelledby="${id}-title">
        ${options.map((option, k) => {
          // On a 0-9 scale the number shown is its key; elsewhere the key is shown.
          const key = option === NA ? "N" : direct ? undefined : keyHint(k);
          const anchor = option === NA ? "does not apply" : criterion.anchors[String(option)];
          return html`<button
            type="button"
            class="fl-choice fl-point"
            role="radio"
            aria-checked=${entry.score === option ? "true" : "false"}
            tabindex=${k === Math.max(0, chosen) ? 0 : -1}
            ?disabled=${this.disabled}
            data-score=${String(option)}
            @click=${() => this.score(index, option, false)}
            @keydown=${(e: KeyboardEvent) => alongScale(e)}
          >
            ${key ? html`<kbd aria-hidden="true">${key}</kbd>` : nothing}<span>${option === NA ? "N/A" : option}</span>
            ${anchor ? html`<small class="fl-anchor">${anchor}</small>` : nothing}
          </button>`;
        })}
      </div>
      ${criterion.justification === "none"
        ? nothing
        : html`<label class="fl-visually-hidden" for="${id}-why">Justification for ${criterion.title}</label>
            <textarea
              id="${id}-why"
              class="fl-justification"
              rows="2"
              data-justification=${criterion.name}
              placeholder=${criterion.justification === "required" ? "Why this score? (required)" : "Why this score? (optional)"}
              maxlength=${setting(this.question, "max_justification_length", 2000)}
              .value=${entry.justification ?? ""}
              ?disabled=${this.disabled}
              @input=${(e: Event) => this.justify(criterion.name, (e.target as HTMLTextAreaElement).value)}
            ></textarea>`}
    </div>`;
  }

  // --- the answer --------------------------------------------------------------------------------

  /** Score a criterion (the chosen score again clears it) and, from the keyboard, move on. */
  private score(index: number, option: number | typeof NA, fromKey: boolean): KeyResult {
    const criterion = this.criteria[index]!;
    const entry = this.value?.[criterion.name] ?? {};
    const cleared = !fromKey && entry.score === option;
    this.setEntry(criterion.name, { ...entry, score: cleared ? undefined : option });
    if (!fromKey) return "handled";
    if (criterion.justification === "required") return this.moveAfterRender(index, true);
    if (index + 1 < this.criteria.length) return this.moveAfterRender(index + 1, false);
    // Onto the chosen score now (the buttons stay the same elements), before the workspace
    // moves on to the next question.
    this.querySelectorAll(".fl-criterion")[index]?.querySelector<HTMLElement>(`.fl-point[data-score="${option}"]`)?.focus();
    return "advance";
  }

  private justify(name: string, text: string): void {
    const entry = this.value?.[name] ?? {};
    this.setEntry(name, { ...entry, justification: text }, true);
  }

  private setEntry(name: string, entry: CriterionAnswer, typed = false): void {
    const next: RubricAnswer = { ...(this.value ?? {}) };
    const kept: CriterionAnswer = {};
    if (entry.score !== undefined) kept.score = entry.score;
    if (entry.justification) kept.justification = entry.justification;
    if (Object.keys(kept).length) next[name] = kept;
    else delete next[name];
    this.emit(Object.keys(next).length ? next : undefined, typed);
  }

  // --- keyboard ---------------------------------------------------------------------------------

  override handleKey(event: KeyboardEvent): KeyResult {
    const criterion = this.criteria[this.focused];
    if (!criterion) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const next = this.focused + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0 || next >= this.criteria.length) return false;
      this.focused = next;
      this.focusRow(next, false);
      return "handled";
    }
    if (event.key.toLowerCase() === "n" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      return criterion.allowNa ? this.score(this.focused, NA, true) : false;
    }
    const digit = digitOf(event);
    if (digit === null) return false;
    const direct = criterion.points.every((p) => p >= 0 && p <= 9);
    const value = direct ? digit : criterion.points[digitIndex(event)];
    if (value === undefined || !criterion.points.includes(value)) return false;
    return this.score(this.focused, value, true);
  }

  override shortcuts(): Shortcut[] {
    return [
      { keys: "number keys", does: "score the focused criterion and move on" },
      { keys: "N", does: "the focused criterion does not apply (where allowed)" },
      { keys: "↑ / ↓", does: "previous or next criterion (← / → along its scale)" },
      { keys: "Tab", does: "on to the justification box, then the next criterion" },
    ];
  }

  override focusInput(): void {
    this.focusRow(this.focused, false);
  }

  private focusRow(index: number, justification: boolean): void {
    const row = this.querySelectorAll<HTMLElement>(".fl-criterion")[index];
    const target = justification
      ? row?.querySelector<HTMLElement>("textarea")
      : row?.querySelector<HTMLElement>(".fl-point[tabindex='0']");
    target?.focus();
  }

  /** A score re-renders the rows once the workspace hands the new answer back; focus moves
   * then, so that it lands on the rendered controls. */
  private moveAfterRender(index: number, justification: boolean): KeyResult {
    this.focused = index;
    this.pendingFocus = { index, justification };
    return "handled";
  }

  protected override updated(): void {
    if (this.pendingFocus === null) return;
    const { index, justification } = this.pendingFocus;
    this.pendingFocus = null;
    this.focusRow(index, justification);
  }
}

/** ←/→ move focus along a criterion's scale; ↑/↓ are left to the widget (other criteria). */
function alongScale(event: KeyboardEvent): void {
  const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
  if (step === 0) return;
  const button = event.currentTarget as HTMLElement;
  const buttons = Array.from(button.parentElement?.querySelectorAll<HTMLElement>("button") ?? []);
  const next = buttons[(buttons.indexOf(button) + step + buttons.length) % buttons.length];
  event.preventDefault();
  event.stopPropagation();
  next?.focus();
}

customElements.define("fl-rubric-widget", RubricWidget);
