/** Arena mode on a pairwise task: the worker writes the prompt, sends it (Ctrl+Enter), and
 * two models of the evaluation answer it as "a" and "b" with no name. The API answers with
 * both texts at once (no stream), so the page shows progress while it waits; a model that
 * fails is the API's 502, shown in the page, and the worker sends again. The names come
 * only after the vote (`revealText`, which the workspace shows before the next task). */
import { html, nothing, type ReactiveController, type TemplateResult } from "lit";
import type { ArenaReveal, Fields, Shortcut } from "../types";
import { Api, ApiError, describeError } from "./api";
import { assignmentOf, candidatePanes, csrfToken, type Host } from "./live";

/** Arena tasks are the items `evaluation.arena.add_tasks` makes, of category "arena". */
export function isArena(fields: Fields): boolean {
  return fields["category"] === "arena";
}

export const arenaShortcuts: Shortcut[] = [{ keys: "Ctrl+Enter", does: "send the prompt to both models (after a failure: retry)" }];

/** Which model was which, as the worker reads it after the vote. */
export function revealText(names: ArenaReveal): string {
  return `Model A was ${names.model_a}; model B was ${names.model_b}.`;
}

export class ArenaCandidates implements ReactiveController {
  prompt = "";
  answers: { id: string; text: string }[] = [];
  busy = false;
  problem: string | null = null;

  /** The assignment the state is about: the workspace may reuse the widget for the next. */
  private assignment = 0;

  constructor(private readonly host: Host) {
    host.addController(this);
  }

  hostUpdate(): void {
    const assignment = assignmentOf(this.host);
    if (assignment === this.assignment) return;
    this.assignment = assignment;
    this.prompt = "";
    this.answers = [];
    this.problem = null;
    void this.load();
  }

  private get api(): Api {
    return new Api(csrfToken(this.host));
  }

  /** A prompt answered before the page was reloaded comes back with its answers. */
  private async load(): Promise<void> {
    const assignment = this.assignment;
    const stored = await this.api.arenaStored(assignment).catch(() => null);
    if (!stored || assignment !== this.assignment || this.answered) return;
    this.prompt = stored.prompt;
    this.answers = stored.responses;
    this.host.requestUpdate();
    await this.voteNext();
  }

  get answered(): boolean {
    return this.answers.length > 0;
  }

  async send(): Promise<void> {
    if (this.busy || this.answered || this.host.disabled) return;
    if (!this.prompt.trim()) {
      this.problem = "Write a prompt first.";
      this.host.requestUpdate();
      return;
    }
    this.busy = true;
    this.problem = null;
    this.host.requestUpdate();
    try {
      this.answers = (await this.api.arenaAnswers(this.assignment, this.prompt)).responses;
    } catch (error) {
      const message = error instanceof ApiError ? describeError(error.body) : String(error);
      this.problem = `${message}. Press Ctrl+Enter to send it again.`;
    } finally {
      this.busy = false;
      this.host.requestUpdate();
    }
    if (this.answered) await this.voteNext();
  }

  /** Out of the prompt box and onto the choices, so that the number keys vote. */
  private async voteNext(): Promise<void> {
    await this.host.updateComplete;
    this.host.querySelector<HTMLElement>(".fl-choice[tabindex='0'], .fl-choice")?.focus();
  }

  /** Ctrl+Enter in the prompt sends it, and is not the workspace's submit. */
  private onKey(event: KeyboardEvent): void {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    void this.send();
  }

  /** The prompt box until it is answered, then the two answers; `marked` gives a pane's badge. */
  render(marked: (id: string) => string | null): TemplateResult {
    const locked = this.busy || this.answered || this.host.disabled;
    return html`<div class="fl-live fl-arena" aria-busy=${this.busy ? "true" : "false"}>
      <label>Your prompt
        <textarea data-arena-prompt data-focus-target rows="4" .value=${this.prompt} ?readonly=${locked}
          @input=${(e: Event) => (this.prompt = (e.target as HTMLTextAreaElement).value)}
          @keydown=${(e: KeyboardEvent) => this.onKey(e)}></textarea>
      </label>
      ${this.answered
        ? nothing
        : html`<p><button type="button" data-arena-send ?disabled=${locked} @click=${() => void this.send()}>Send to both models</button> <span class="fl-hint"><kbd>Ctrl+Enter</kbd></span></p>`}
      ${this.busy ? html`<p class="fl-hint" data-arena-waiting>Both models are answering… Waiting counts as task time.</p>` : nothing}
      ${this.problem ? html`<p class="fl-field-error" role="alert" data-live-problem>${this.problem}</p>` : nothing}
      ${candidatePanes(this.answers, (i) => (i ? "B" : "A"), null, marked)}
    </div>`;
  }
}
