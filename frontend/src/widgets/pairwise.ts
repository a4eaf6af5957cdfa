/** pairwise: which of two responses is better (or a tie, or both bad), and optionally by how
 * much. Number keys pick the choice, then the strength when the project asks for one. In live
 * mode the two are generated for the worker (G, lib/live.ts) and shown here side by side; in
 * arena mode the worker writes the prompt they answer (lib/arena.ts). */
import { html, nothing } from "lit";
import { digitIndex, setting } from "../lib/fields";
import { ArenaCandidates, arenaShortcuts, isArena } from "../lib/arena";
import { LiveCandidates, liveShortcuts } from "../lib/live";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { choiceButtons, keyHint } from "./choices";

export interface Preference {
  choice: string;
  strength?: number | null;
  /** Live mode: the candidates the page showed, which the server checks. */
  candidates?: { id: string; text: string }[];
}

const CHOICE_TEXT: Record<string, string> = { a: "A is better", b: "B is better", tie: "Tie", both_bad: "Both are bad" };

export class PairwiseWidget extends Widget<Preference> {
  private live: LiveCandidates | null = null;
  private arena: ArenaCandidates | null = null;

  override connectedCallback(): void {
    if (!this.live && setting(this.question, "live", null) !== null) this.live = new LiveCandidates(this, () => this.emit(undefined));
    if (!this.arena && isArena(this.fields)) this.arena = new ArenaCandidates(this);
    super.connectedCallback();
  }

  private get choices(): string[] {
    return [
      "a",
      "b",
      ...(setting(this.question, "allow_tie", true) ? ["tie"] : []),
      ...(setting(this.question, "allow_both_bad", true) ? ["both_bad"] : []),
    ];
  }

  private get levels(): number {
    return setting(this.question, "strength_levels", 0);
  }

  /** Number keys set the strength once A or B is chosen and no strength is set yet. */
  private get wantsStrength(): boolean {
    const choice = this.value?.choice;
    return this.levels > 0 && (choice === "a" || choice === "b") && !this.value?.strength;
  }

  override render() {
    const picked = this.value?.choice;
    const choices = this.choices.map((c, i) => ({
      value: c,
      text: CHOICE_TEXT[c] ?? c,
      selected: picked === c,
      key: this.wantsStrength ? undefined : keyHint(i),
    }));
    const strength =
      this.levels > 0 && (picked === "a" || picked === "b")
        ? html`<p class="fl-hint">How much better? 1 = slightly, ${this.levels} = much better</p>
            ${choiceButtons(
              Array.from({ length: this.levels }, (_, i) => ({
                value: String(i + 1),
                text: String(i + 1),
                selected: this.value?.strength === i + 1,
                key: this.wantsStrength ? keyHint(i) : undefined,
              })),
              "radio",
              "Strength of the preference",
              (v) => this.emit({ choice: picked, strength: Number(v) }),
              this.disabled,
            )}`
        : nothing;
    const buttons = html`${choiceButtons(choices, "radio", this.question.prompt || "Which response is better?", (c) => this.pick(c), this.disabled)}${strength}`;
    if (this.arena) return html`${this.arena.render((id) => (id === picked ? "better" : null))}${this.arena.answered ? buttons : nothing}`;
    if (!this.live) return buttons;
    const pane = this.live.render((i) => (i ? "B" : "A"), (id) => (id === picked ? "better" : null));
    return html`${pane}${this.live.turn ? buttons : nothing}`;
  }

  private pick(choice: string): void {
    const strength = this.value?.choice === choice ? this.value.strength : null;
    this.emit({ choice, strength: this.levels > 0 && (choice === "a" || choice === "b") ? strength : null });
  }

  protected override emit(value: Preference | undefined, typed = false): void {
    super.emit(value && this.live ? { ...value, candidates: this.live.shown } : value, typed);
  }

  override handleKey(event: KeyboardEvent): KeyResult {
    if (this.live?.handleKey(event)) return "handled";
    const index = digitIndex(event);
    if (index < 0 || (this.live && !this.live.turn) || (this.arena && !this.arena.answered)) return false;
    if (this.wantsStrength) {
      if (index >= this.levels) return false;
      this.emit({ choice: this.value!.choice, strength: index + 1 });
      return "advance";
    }
    const choice = this.choices[index];
    if (choice === undefined) return false;
    this.pick(choice);
    return this.levels > 0 && (choice === "a" || choice === "b") ? "handled" : "advance";
  }

  override shortcuts(): Shortcut[] {
    const keys = [{ keys: "1 … 4", does: "A better, B better, tie, both bad" }];
    if (this.levels > 0) keys.push({ keys: `then 1 … ${this.levels}`, does: "how much better" });
    if (this.arena) return [...arenaShortcuts, ...keys];
    return this.live ? [...liveShortcuts, ...keys] : keys;
  }
}
customElements.define("fl-pairwise-widget", PairwiseWidget);
