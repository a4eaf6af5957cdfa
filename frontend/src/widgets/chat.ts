/** chat: talk to the project's models turn by turn. Enter sends the worker's message and
 * the platform streams N candidates side by side (lib/live.ts); number keys rank them (Shift+number ties
 * a candidate with the group above, 0 clears), R rewrites the chosen reply (with a word
 * diff), G regenerates the turn, Esc stops a generation. The next message continues from
 * the chosen or rewritten reply. The server checks every submitted turn against the
 * candidates it generated (questions/chat.py). */
import { html, nothing } from "lit";
import { wordDiff } from "../lib/diff";
import { setting } from "../lib/fields";
import { endingProblem, liveUrl, loadTurns, stopTurn, streamedPanes, streamTurn, type LiveCandidate, type LiveTurn, type Streaming as Panes } from "../lib/live";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";

/** One answered turn as the widget sends it. */
interface TurnAnswer {
  turn: number;
  ranking?: string[][];
  pick?: string;
  chosen?: string;
  rewrite?: string;
  candidates: { id: string; text: string }[];
}

interface ChatAnswer {
  turns: TurnAnswer[];
}

interface Streaming extends Panes {
  turn: number;
  user: string | null;
}

export class ChatWidget extends Widget<ChatAnswer> {
  static override properties = {
    ...Widget.properties,
    turns: { state: true },
    streaming: { state: true },
    problem: { state: true },
    rewriting: { state: true },
    draft: { state: true },
  };
  declare turns: LiveTurn[];
  declare streaming: Streaming | null;
  declare problem: string | null;
  declare rewriting: boolean;
  declare draft: string;
  private controller: AbortController | null = null;
  private loaded = false;

  constructor() {
    super();
    this.turns = [];
    this.streaming = null;
    this.problem = null;
    this.rewriting = false;
    this.draft = "";
  }

  private get url(): string {
    return liveUrl(this, this.question.name);
  }

  private get answers(): TurnAnswer[] {
    return this.value?.turns ?? [];
  }

  private get maxTurns(): number {
    return setting(this.question, "max_turns", 3);
  }

  private get picking(): boolean {
    return setting<string>(this.question, "mode", "rank") === "pick";
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.loaded) void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.abort();
  }

  private async load(): Promise<void> {
    this.loaded = true;
    this.turns = await loadTurns(this.url);
  }

  override render() {
    const last = this.turns.length - 1;
    return html`<div class="fl-chat">
      ${this.turns.map((turn, i) => this.renderTurn(turn, i === last && !this.streaming))}
      ${this.streaming ? this.renderStreaming(this.streaming) : nothing}
      ${this.problem ? html`<p class="fl-field-error" role="alert" data-chat-problem>${this.problem}</p>` : nothing}
      ${this.renderComposer()}
    </div>`;
  }

  private renderTurn(turn: LiveTurn, current: boolean) {
    const answer = this.answers[turn.turn];
    const chosen = answer ? chosenOf(answer) : undefined;
    return html`<section class="fl-chat-turn" data-turn=${turn.turn}>
      ${turn.user !== null ? html`<p class="fl-chat-user"><strong>You:</strong> ${turn.user}</p>` : nothing}
      ${current || !chosen
        ? html`<div class="fl-chat-panes">${turn.candidates.map((c, i) => this.renderPane(c, i, answer))}</div>
            ${current && chosen && this.rewriting ? this.renderRewrite(turn, answer!) : nothing}`
        : html`<p class="fl-chat-reply" data-reply><strong>Model:</strong> ${answer?.rewrite ?? textOf(turn, chosen)}</p>`}
    </section>`;
  }

  private renderPane(candidate: LiveCandidate, index: number, answer: TurnAnswer | undefined) {
    const rank = answer?.ranking?.findIndex((group) => group.includes(candidate.id)) ?? -1;
    const picked = answer?.pick === candidate.id;
    const chosen = answer ? chosenOf(answer) === candidate.id : false;
    return html`<article class="fl-chat-pane ${chosen ? "fl-chosen" : ""}" data-candidate=${candidate.id}>
      <header><kbd>${index + 1}</kbd> ${candidate.endpoint} <span class="fl-hint">${candidate.model}</span>
        ${rank >= 0 ? html`<span class="fl-chat-rank" data-rank=${rank + 1}>rank ${rank + 1}</span>` : nothing}
        ${picked ? html`<span class="fl-chat-rank">picked</span>` : nothing}</header>
      <div class="fl-chat-text" data-text>${candidate.text}</div>
    </article>`;
  }

  private renderStreaming(streaming: Streaming) {
    return html`<section class="fl-chat-turn" data-turn=${streaming.turn} aria-busy="true">
      ${streaming.user !== null ? html`<p class="fl-chat-user"><strong>You:</strong> ${streaming.user}</p>` : nothing}
      <div class="fl-chat-panes">
        ${streaming.candidates.map(
          (c, i) => html`<article class="fl-chat-pane" data-candidate=${c.id} data-streaming=${streaming.done.has(c.id) ? "done" : "yes"}>
            <header><kbd>${i + 1}</kbd> ${c.endpoint} <span class="fl-hint">${c.model}</span></header>
            <div class="fl-chat-text" data-text>${c.text}</div>
          </article>`,
        )}
      </div>
      <p class="fl-hint">Generating… <kbd>Esc</kbd> stops. Waiting counts as task time.</p>
    </section>`;
  }

  private renderRewrite(turn: LiveTurn, answer: TurnAnswer) {
    const original = textOf(turn, chosenOf(answer));
    const text = answer.rewrite ?? original;
    const parts = wordDiff(original, text).map(([op, part]) =>
      op === "=" ? html`<span>${part}</span>` : op === "-" ? html`<del>${part}</del>` : html`<ins>${part}</ins>`,
    );
    return html`<div class="fl-rewrite fl-chat-rewrite">
      <label for="fl-chat-rewrite-${this.question.name}">Rewrite the chosen reply</label>
      <textarea id="fl-chat-rewrite-${this.question.name}" data-chat-rewrite rows="5" .value=${text} @input=${this.onRewrite} @keydown=${this.onRewriteKey}></textarea>
      <div class="fl-diff" role="region" aria-label="Changes from the chosen reply">${parts}</div>
    </div>`;
  }

  private renderComposer() {
    const next = this.turns.length;
    if (next >= this.maxTurns) return html`<p class="fl-hint">The conversation has its ${this.maxTurns} turns: rank the last one and submit.</p>`;
    const ready = next === 0 || this.judged(next - 1);
    const label = next === 0 ? "Your first message" : "Your next message (continues from the chosen reply)";
    return html`<div class="fl-chat-composer">
      <label for="fl-chat-${this.question.name}">${label}</label>
      <textarea
        id="fl-chat-${this.question.name}"
        data-chat-message
        data-focus-target
        rows="2"
        maxlength=${setting(this.question, "max_message_length", 8000)}
        .value=${this.draft}
        ?disabled=${this.disabled}
        @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)}
        @keydown=${this.onMessageKey}
      ></textarea>
      <p class="fl-hint">${ready ? html`<kbd>Enter</kbd> sends, Shift+Enter a new line.` : "Rank the candidates first (number keys)."}</p>
    </div>`;
  }

  private judged(turn: number): boolean {
    const answer = this.answers[turn];
    return answer !== undefined && chosenOf(answer) !== undefined && this.complete(answer, this.turns[turn]!);
  }

  private complete(answer: TurnAnswer, turn: LiveTurn): boolean {
    if (answer.pick) return true;
    const ranked = new Set((answer.ranking ?? []).flat());
    return turn.candidates.every((c) => ranked.has(c.id));
  }

  // --- generation ----------------------------------------------------------------------------

  private onMessageKey(event: KeyboardEvent): void {
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      event.stopPropagation();
      const text = this.draft.trim();
      const next = this.turns.length;
      if (next > 0 && !this.judged(next - 1)) {
        this.problem = this.picking ? "Pick a candidate first (number keys)." : "Rank every candidate first (number keys).";
      } else if (text || next === 0) {
        void this.generate(next, text || null);
      }
    } else if (event.key === "Escape" && this.streaming) {
      event.preventDefault();
      event.stopPropagation();
      void this.stop();
    }
  }

  private async generate(turn: number, message: string | null): Promise<void> {
    if (this.streaming || this.disabled) return;
    const previous = turn > 0 ? this.answers[turn - 1] : undefined;
    const body = {
      turn,
      message,
      previous: previous ? { chosen: chosenOf(previous), rewrite: previous.rewrite ?? null } : null,
    };
    this.problem = null;
    this.streaming = { turn, user: message, candidates: [], done: new Set() };
    this.controller = new AbortController();
    try {
      const problem = await streamTurn(this, this.url, body, this.controller.signal, (name, data) => this.onEvent(name, data, message));
      if (problem) this.problem = problem;
    } finally {
      this.streaming = null;
      this.controller = null;
    }
  }

  private onEvent(name: string, data: Record<string, unknown>, message: string | null): void {
    const streaming = this.streaming;
    if (!streaming) return;
    const panes = streamedPanes(streaming, name, data);
    if (panes) {
      this.streaming = panes;
    } else if (name === "turn") {
      const stored = data["candidates"] as LiveCandidate[];
      this.turns = [...this.turns.slice(0, streaming.turn), { turn: streaming.turn, user: message, candidates: stored }];
      if (streaming.turn + 1 >= this.maxTurns && this.contains(document.activeElement)) {
        this.closest<HTMLElement>(".fl-question")?.focus();  // the message box goes away
      }
      const kept = this.answers.slice(0, streaming.turn);
      this.emit(kept.length ? { turns: kept } : undefined);
      this.draft = "";
      this.rewriting = false;
    } else {
      this.problem = endingProblem(name, data) ?? this.problem;
    }
  }

  private async stop(): Promise<void> {
    if (!this.streaming) return;
    await stopTurn(this, this.url);
    this.controller?.abort();
  }

  private regenerate(): void {
    const turn = this.turns.length - 1;
    if (this.streaming) return;
    if (turn < 0) {
      if (this.problem) void this.generate(0, this.draft.trim() || null);
      return;
    }
    if (this.problem && this.draft.trim() && this.judged(turn)) {
      void this.generate(turn + 1, this.draft.trim());
      return;
    }
    void this.generate(turn, this.turns[turn]!.user);
  }

  // --- judging -------------------------------------------------------------------------------

  private judge(index: number, tie: boolean): void {
    const turn = this.turns[this.turns.length - 1];
    const candidate = turn?.candidates[index];
    if (!turn || !candidate) return;
    const answers = [...this.answers.slice(0, turn.turn)];
    const current = this.answers[turn.turn];
    const shown = turn.candidates.map((c) => ({ id: c.id, text: c.text }));
    if (this.picking) {
      answers.push({ turn: turn.turn, pick: candidate.id, candidates: shown });
    } else {
      const groups = (current?.ranking ?? []).map((g) => g.filter((id) => id !== candidate.id)).filter((g) => g.length);
      if (tie && groups.length) groups[groups.length - 1]!.push(candidate.id);
      else groups.push([candidate.id]);
      const next: TurnAnswer = { turn: turn.turn, ranking: groups, chosen: groups[0]![0]!, candidates: shown };
      if (current?.rewrite !== undefined && current.chosen === next.chosen) next.rewrite = current.rewrite;
      answers.push(next);
    }
    this.emit({ turns: answers });
  }

  private clear(): void {
    const turn = this.turns.length - 1;
    if (turn < 0) return;
    const answers = this.answers.slice(0, turn);
    this.emit(answers.length ? { turns: answers } : undefined);
    this.rewriting = false;
  }

  private onRewrite(event: Event): void {
    const text = (event.target as HTMLTextAreaElement).value;
    const turn = this.turns.length - 1;
    const answers = this.answers.map((a, i) => (i === turn ? { ...a, rewrite: text } : a));
    this.emit({ turns: answers }, true);
  }

  private onRewriteKey(event: KeyboardEvent): void {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      event.stopPropagation();
      this.querySelector<HTMLTextAreaElement>("[data-chat-message]")?.focus();
    }
  }

  override handleKey(event: KeyboardEvent): KeyResult {
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const digit = /^Digit(\d)$/.exec(event.code)?.[1];
    if (digit === "0") {
      this.clear();
      return "handled";
    }
    if (digit) {
      this.judge(Number(digit) - 1, event.shiftKey);
      return "handled";
    }
    const key = event.key.toLowerCase();
    if (key === "g") {
      this.regenerate();
      return "handled";
    }
    if (key === "r" && setting(this.question, "allow_rewrite", true) && this.judged(this.turns.length - 1)) {
      this.rewriting = true;
      void this.updateComplete.then(() => this.querySelector<HTMLTextAreaElement>("[data-chat-rewrite]")?.focus());
      return "handled";
    }
    if (event.key === "Escape" && this.streaming) {
      void this.stop();
      return "handled";
    }
    if (key === "m") {
      this.querySelector<HTMLTextAreaElement>("[data-chat-message]")?.focus();
      return "handled";
    }
    return false;
  }

  override shortcuts(): Shortcut[] {
    return [
      { keys: "Enter", does: "in the message box: send the turn (Shift+Enter: a new line)" },
      { keys: "1 … 9", does: this.picking ? "pick a candidate" : "rank the candidate next, best first" },
      ...(this.picking ? [] : [{ keys: "Shift+1 … 9", does: "tie the candidate with the group above" }, { keys: "0", does: "clear this turn's ranking" }]),
      { keys: "R", does: "rewrite the chosen reply (the diff shows below it)" },
      { keys: "G", does: "regenerate the turn (or retry after a failure)" },
      { keys: "Esc", does: "stop a generation" },
      { keys: "M", does: "go to the message box" },
    ];
  }
}

function chosenOf(answer: TurnAnswer): string | undefined {
  return answer.pick ?? answer.chosen ?? answer.ranking?.[0]?.[0];
}

function textOf(turn: LiveTurn, id: string | undefined): string {
  return turn.candidates.find((c) => c.id === id)?.text ?? "";
}

customElements.define("fl-chat-widget", ChatWidget);
