/** ranking: order the candidate responses best first, ties as shared tiers. Drag a response
 * onto a tier to tie it, between tiers to give it a tier of its own, or back to "not ranked".
 * Keyboard: a number key puts the focused response in that tier (a tie when the tier has
 * responses, a new last tier when the number is past the end) and moves on to the next
 * unranked one; Alt+↑/↓ moves the focused response up or down one step. In live mode the
 * responses are generated for the worker (G, lib/live.ts) and shown above the tiers. */
import { html, nothing, type TemplateResult } from "lit";
import { candidateLetter, candidatesOf, digitOf, setting } from "../lib/fields";
import { LiveCandidates, liveShortcuts } from "../lib/live";
import type { Candidate, Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";

type Tiers = string[][];
/** Live mode's answer: the tiers and the candidates the page showed, which the server checks. */
interface LiveRanking {
  ranking: Tiers;
  candidates: { id: string; text: string }[];
}
const DRAG_TYPE = "application/x-fairlabel-candidate";

export class RankingWidget extends Widget<Tiers | LiveRanking> {
  static override properties = { ...Widget.properties, dragging: { state: true } };
  declare dragging: string | null;
  private pendingFocus: string | null = null;
  private live: LiveCandidates | null = null;

  constructor() {
    super();
    this.dragging = null;
  }

  override connectedCallback(): void {
    if (!this.live && setting(this.question, "live", null) !== null) this.live = new LiveCandidates(this, () => this.emit(undefined));
    super.connectedCallback();
  }

  private get candidates(): Candidate[] {
    if (this.live) return this.live.shown;
    return candidatesOf(this.fields[setting(this.question, "field", "responses")]) ?? [];
  }

  private get tiers(): Tiers {
    const known = new Set(this.candidates.map((c) => c.id));
    const value = this.value && !Array.isArray(this.value) ? this.value.ranking : this.value;
    return (Array.isArray(value) ? value : []).map((t) => t.filter((id) => known.has(id))).filter((t) => t.length > 0);
  }

  private get unranked(): string[] {
    const placed = new Set(this.tiers.flat());
    return this.candidates.map((c) => c.id).filter((id) => !placed.has(id));
  }

  override render() {
    const candidates = this.candidates;
    const live = this.live ? this.live.render(candidateLetter, (id) => this.tierName(id)) : nothing;
    if (candidates.length === 0) {
      return this.live ? live : html`<p class="fl-field-error">This item has no responses to rank.</p>`;
    }
    const tiers = this.tiers;
    return html`${live}<ol class="fl-tiers" aria-label="Ranking, best first">
        ${tiers.map(
          (tier, i) => html`${this.gap(i)}
            <li class="fl-tier" data-tier=${i} @dragover=${this.allowDrop} @drop=${(e: DragEvent) => this.drop(e, { tier: i })}>
              <span class="fl-tier-name">${ordinal(i + 1)}</span>
              ${tier.map((id) => this.chip(id))}
            </li>`,
        )}
        ${this.gap(tiers.length)}
      </ol>
      <div class="fl-tier fl-pool" data-tier="pool" @dragover=${this.allowDrop} @drop=${(e: DragEvent) => this.drop(e, { pool: true })}>
        <span class="fl-tier-name">Not ranked</span>
        ${this.unranked.length ? this.unranked.map((id) => this.chip(id)) : html`<span class="fl-hint">all ranked</span>`}
      </div>`;
  }

  /** A drop zone between tiers: dropping there gives the response a tier of its own. */
  private gap(index: number): TemplateResult {
    return html`<li
      class="fl-gap ${this.dragging ? "fl-gap-open" : ""}"
      aria-hidden="true"
      data-gap=${index}
      @dragover=${this.allowDrop}
      @drop=${(e: DragEvent) => this.drop(e, { before: index })}
    ></li>`;
  }

  private chip(id: string): TemplateResult {
    const index = this.candidates.findIndex((c) => c.id === id);
    const candidate = this.candidates[index]!;
    return html`<button
      type="button"
      class="fl-chip"
      draggable=${this.disabled ? "false" : "true"}
      data-candidate=${id}
      title=${candidate.text}
      aria-label=${`Response ${candidateLetter(index)}: ${this.placeOf(id)}`}
      @dragstart=${(e: DragEvent) => this.dragStart(e, id)}
      @dragend=${() => (this.dragging = null)}
    >
      <strong>${candidateLetter(index)}</strong> <span>${preview(candidate.text)}</span>
    </button>`;
  }

  private tierName(id: string): string | null {
    const tier = this.tiers.findIndex((t) => t.includes(id));
    return tier < 0 ? null : ordinal(tier + 1);
  }

  private placeOf(id: string): string {
    const tier = this.tierName(id);
    return tier ? `ranked ${tier}` : "not ranked";
  }


  // --- mouse: drag and drop --------------------------------------------------------------------

  private dragStart(event: DragEvent, id: string): void {
    event.dataTransfer?.setData(DRAG_TYPE, id);
    event.dataTransfer?.setData("text/plain", id);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
    this.dragging = id;
  }

  private allowDrop(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
  }

  private drop(event: DragEvent, where: Place): void {
    event.preventDefault();
    event.stopPropagation();
    const id = event.dataTransfer?.getData(DRAG_TYPE) || this.dragging;
    this.dragging = null;
    if (id) this.place(id, where);
  }

  // --- keyboard ---------------------------------------------------------------------------------

  override handleKey(event: KeyboardEvent): KeyResult {
    if (this.live?.handleKey(event)) return "handled";
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(".fl-chip")?.dataset["candidate"];
    const target = focused && this.contains(document.activeElement) ? focused : this.unranked[0];
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown") && target !== undefined) {
      this.step(target, event.key === "ArrowUp" ? -1 : 1);
      return "handled";
    }
    const digit = digitOf(event);
    if (digit === null || digit === 0 || target === undefined) return false;
    this.place(target, { tier: digit - 1 });
    // On to the next unranked response, so that a few number keys rank them all.
    const next = this.unranked.find((id) => id !== target);
    this.focusAfterRender(next ?? target);
    return "handled";
  }

  override shortcuts(): Shortcut[] {
    const keys = [
      { keys: "1 … 9", does: "put the focused (or next unranked) response in that tier" },
      { keys: "Alt+↑ / Alt+↓", does: "move the focused response up or down one step" },
    ];
    return this.live ? [...liveShortcuts, ...keys] : keys;
  }

  override focusInput(): void {
    this.focusChip(this.unranked[0] ?? this.tiers[0]?.[0]);
  }

  private focusChip(id: string | undefined): void {
    if (id !== undefined) this.querySelector<HTMLElement>(`.fl-chip[data-candidate="${CSS.escape(id)}"]`)?.focus();
  }

  /** A move re-renders the chips once the workspace hands the new answer back; focus the
   * moved response then, not the button that stood in its place before. */
  private focusAfterRender(id: string): void {
    this.pendingFocus = id;
  }

  protected override updated(): void {
    if (this.pendingFocus === null) return;
    this.focusChip(this.pendingFocus);
    this.pendingFocus = null;
  }

  /** One step up or down: a response sharing a tier gets its own tier beside it; a response
   * alone in a tier joins the next tier in that direction. */
  private step(id: string, direction: -1 | 1): void {
    const tiers = this.tiers;
    const at = tiers.findIndex((t) => t.includes(id));
    if (at < 0) {
      if (direction < 0) this.place(id, { before: tiers.length });
    } else if (tiers[at]!.length > 1) {
      this.place(id, { before: direction < 0 ? at : at + 1 });
    } else if (at + direction >= tiers.length) {
      this.place(id, { pool: true });
    } else if (at + direction >= 0) {
      this.place(id, { merge: at + direction });
    }
    this.focusAfterRender(id);
  }

  // --- the answer --------------------------------------------------------------------------------

  private place(id: string, where: Place): void {
    const ties = setting(this.question, "allow_ties", true);
    const before = this.tiers;
    const at = before.findIndex((t) => t.includes(id));
    const tiers: Array<string[] | null> = before.map((t) => t.filter((x) => x !== id));
    if (where.merge !== undefined) {
      tiers[where.merge] = [...tiers[where.merge]!, id];
    } else if (where.tier !== undefined && where.tier < tiers.length && ties) {
      tiers[where.tier] = [...tiers[where.tier]!, id];
    } else if (where.tier !== undefined) {
      tiers.splice(Math.min(where.tier, tiers.length), 0, [id]);
    } else if (where.before !== undefined) {
      // A lone response moved into the gap right next to its own tier stays where it is.
      if (at >= 0 && before[at]!.length === 1 && (where.before === at || where.before === at + 1)) return;
      tiers.splice(where.before, 0, [id]);
    }
    const result = tiers.filter((t): t is string[] => t !== null && t.length > 0);
    if (!result.length) this.emit(undefined);
    else this.emit(this.live ? { ranking: result, candidates: this.live.shown } : result);
  }
}

interface Place {
  tier?: number;
  before?: number;
  pool?: boolean;
  /** Join this tier (index in the current list), used by the one-step keyboard move. */
  merge?: number;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

customElements.define("fl-ranking-widget", RankingWidget);
