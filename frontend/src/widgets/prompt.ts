/** prompt: write a prompt to a brief. The brief's instructions (the item's `brief`, safe
 * Markdown) and the dimensions it fixes come first; C, D and L step through the category,
 * difficulty and language where the worker chooses them. As the worker types, the
 * project's nearest earlier prompts are looked up (debounced) and shown as a warning that
 * does not block submitting (the server records the nearest in the answer).
 *
 * Red-team mode: G sends the prompt to the project's model and its answer streams in (safe
 * Markdown; G again regenerates, Esc stops); Y or N marks whether the attempt succeeded,
 * number keys the harm category, O goes to the notes. The server checks the submitted
 * answer against the stored turn, so the response is the model's, never the page's. */
import { html, nothing } from "lit";
import { Debouncer } from "../lib/debounce";
import { setting } from "../lib/fields";
import { endingProblem, liveUrl, loadTurns, stopTurn, streamTurn, streamedPanes, type LiveCandidate, type Streaming } from "../lib/live";
import { markdownView } from "../lib/markdown";
import type { Shortcut } from "../types";
import { Widget, type KeyResult } from "./base";
import { choiceButtons, keyHint } from "./choices";

export interface PromptAnswer {
  prompt?: string;
  category?: string;
  difficulty?: string;
  language?: string;
  succeeded?: boolean;
  harm_category?: string;
  notes?: string;
  response?: string;
}

type Dimension = "category" | "difficulty" | "language";
const DIMENSIONS: { name: Dimension; setting: string; key: string; label: string }[] = [
  { name: "category", setting: "categories", key: "c", label: "Category" },
  { name: "difficulty", setting: "difficulties", key: "d", label: "Difficulty" },
  { name: "language", setting: "languages", key: "l", label: "Language" },
];

interface Similar {
  prompt: string;
  similarity: number;
}

/** The model's answer and the prompt it answered. */
interface Generated {
  prompt: string;
  candidate: LiveCandidate;
}

/** The answer streaming in, for the prompt sent. */
interface Sending extends Streaming {
  prompt: string;
}

/** How long typing pauses before the near-duplicate search runs. */
const SEARCH_DELAY_MS = 400;

export class PromptWidget extends Widget<PromptAnswer> {
  static override properties = {
    ...Widget.properties,
    similar: { state: true },
    generated: { state: true },
    streaming: { state: true },
    problem: { state: true },
  };
  declare similar: Similar[];
  declare generated: Generated | null;
  declare streaming: Sending | null;
  declare problem: string | null;
  private readonly search = new Debouncer(SEARCH_DELAY_MS);
  private searched = "";
  private controller: AbortController | null = null;
  private loaded = false;

  constructor() {
    super();
    this.similar = [];
    this.generated = null;
    this.streaming = null;
    this.problem = null;
  }

  private get redTeam(): { harm_categories: string[] } | null {
    return setting<{ harm_categories: string[] } | null>(this.question, "red_team", null);
  }

  private get brief(): Record<string, unknown> {
    const value = this.fields[setting(this.question, "brief_field", "brief")];
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  }

  private get assignmentId(): string | undefined {
    return this.closest<HTMLElement>("[data-assignment]")?.dataset["assignment"];
  }

  private get csrfToken(): string {
    return this.closest<HTMLElement>("[data-csrf-token]")?.dataset["csrfToken"] ?? "";
  }

  private get text(): string {
    return this.value?.prompt ?? "";
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.loaded && this.redTeam) void this.load();
    if (this.text) this.lookUp(this.text);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.search.cancel();
    this.controller?.abort();
  }

  /** The answer already generated (a reload, a draft restored) comes back from the server. */
  private async load(): Promise<void> {
    this.loaded = true;
    const last = (await loadTurns(this.liveUrl)).pop();
    const candidate = last?.candidates[0];
    if (last && candidate) this.generated = { prompt: last.user ?? "", candidate };
  }

  private get liveUrl(): string {
    return liveUrl(this, this.question.name);
  }

  override render() {
    const id = `fl-prompt-${this.question.name}`;
    const max = setting(this.question, "max_length", 4000);
    const min = setting(this.question, "min_length", 10);
    const instructions = this.brief["instructions"];
    return html`<div class="fl-prompt">
      ${typeof instructions === "string" && instructions.trim() ? html`<section class="fl-prompt-brief" aria-label="The brief">${markdownView(instructions)}</section>` : nothing}
      ${DIMENSIONS.map((d) => this.renderDimension(d))}
      <label for=${id}>${this.question.prompt || "Your prompt"}</label>
      <textarea id=${id} data-focus-target data-prompt rows="5" maxlength=${max} .value=${this.text} ?disabled=${this.disabled} @input=${this.onInput} aria-describedby="${id}-count ${id}-similar"></textarea>
      <p class="fl-hint" id="${id}-count">${[...this.text].length} / ${max} characters, at least ${min}</p>
      <div id="${id}-similar" role="status">${this.renderSimilar()}</div>
      ${this.redTeam ? this.renderRedTeam(this.redTeam) : nothing}
    </div>`;
  }

  private renderDimension(dimension: (typeof DIMENSIONS)[number]) {
    const fixed = this.brief[dimension.name];
    if (typeof fixed === "string") {
      return html`<p class="fl-prompt-fixed" data-fixed=${dimension.name}>${dimension.label}: <strong>${fixed}</strong> (set by the brief)</p>`;
    }
    const choices = setting<string[]>(this.question, dimension.setting, []);
    if (!choices.length) return nothing;
    const chosen = this.value?.[dimension.name];
    return html`<div class="fl-prompt-dimension" data-dimension=${dimension.name}>
      <span>${dimension.label} <kbd>${dimension.key.toUpperCase()}</kbd></span>
      ${choiceButtons(
        choices.map((c) => ({ value: c, text: c, selected: c === chosen })),
        "radio",
        dimension.label,
        (value) => this.change({ [dimension.name]: value }),
        this.disabled,
      )}
    </div>`;
  }

  private renderSimilar() {
    if (!this.similar.length) return nothing;
    return html`<div class="fl-notice fl-prompt-duplicate" data-duplicate>
      <strong>Close to ${this.similar.length === 1 ? "an earlier prompt" : `${this.similar.length} earlier prompts`}</strong>
      (you may still submit; the answer records how close):
      <ul>
        ${this.similar.map((s) => html`<li><span data-similarity>${Math.round(s.similarity * 100)}%</span> ${s.prompt}</li>`)}
      </ul>
    </div>`;
  }

  private renderRedTeam(redTeam: { harm_categories: string[] }) {
    const streamed = this.streaming?.candidates[0];
    const shown = this.streaming ? (streamed ? { prompt: this.streaming.prompt, candidate: streamed } : null) : this.generated;
    const stale = this.generated !== null && !this.streaming && this.generated.prompt !== this.text;
    const answer = this.value ?? {};
    return html`<section class="fl-prompt-red-team" aria-label="The model's answer">
      <p>
        <button type="button" data-generate ?disabled=${this.disabled || !!this.streaming} @click=${() => void this.generate()}>
          ${this.generated ? "Send again" : "Send to the model"} <kbd>G</kbd>
        </button>
        ${this.streaming ? html`<span class="fl-hint">Generating… <kbd>Esc</kbd> stops. Waiting counts as task time.</span>` : nothing}
      </p>
      ${shown
        ? html`<article class="fl-prompt-response" data-response data-streaming=${this.streaming ? "yes" : "done"} aria-busy=${this.streaming ? "true" : "false"}>
            <p class="fl-hint">${shown.candidate.endpoint} · ${shown.candidate.model}</p>
            ${markdownView(shown.candidate.text)}
          </article>`
        : nothing}
      ${stale ? html`<p class="fl-field-error" data-stale>The prompt changed since the model answered: press G to send it again.</p>` : nothing}
      ${this.problem ? html`<p class="fl-field-error" role="alert" data-prompt-problem>${this.problem}</p>` : nothing}
      <div class="fl-prompt-dimension" data-succeeded>
        <span>Did the model misbehave?</span>
        ${choiceButtons(
          [
            { value: "yes", text: "Yes, the attempt succeeded", key: "Y", selected: answer.succeeded === true },
            { value: "no", text: "No, it held", key: "N", selected: answer.succeeded === false },
          ],
          "radio",
          "Did the attempt succeed?",
          (value) => this.change({ succeeded: value === "yes" }),
          this.disabled,
        )}
      </div>
      <div class="fl-prompt-dimension" data-harm>
        <span>Harm category</span>
        ${choiceButtons(
          redTeam.harm_categories.map((c, i) => ({ value: c, text: c, key: keyHint(i), selected: answer.harm_category === c })),
          "radio",
          "Harm category",
          (value) => this.change({ harm_category: value }),
          this.disabled,
        )}
      </div>
      <label for="fl-prompt-notes-${this.question.name}">Notes (optional) <kbd>O</kbd></label>
      <textarea id="fl-prompt-notes-${this.question.name}" data-notes rows="2" .value=${answer.notes ?? ""} ?disabled=${this.disabled} @input=${this.onNotes}></textarea>
    </section>`;
  }

  // --- the answer ----------------------------------------------------------------------------

  /** The answer with some keys changed; the response goes with it only while it is the
   * model's answer to the prompt as it now stands. */
  private change(change: Partial<PromptAnswer>, typed = false): void {
    const next: PromptAnswer = { ...(this.value ?? {}), ...change };
    const generated = this.generated;
    if (generated && generated.prompt === next.prompt) next.response = generated.candidate.text;
    else delete next.response;
    this.emit(next, typed);
  }

  private onInput(event: Event): void {
    const text = (event.target as HTMLTextAreaElement).value;
    this.change({ prompt: text }, true);
    this.search.schedule(() => this.lookUp(text));
  }

  private onNotes(event: Event): void {
    this.change({ notes: (event.target as HTMLTextAreaElement).value }, true);
  }

  private step(dimension: (typeof DIMENSIONS)[number], back: boolean): boolean {
    if (typeof this.brief[dimension.name] === "string") return false;
    const choices = setting<string[]>(this.question, dimension.setting, []);
    if (!choices.length) return false;
    const at = choices.indexOf(this.value?.[dimension.name] ?? "");
    const next = at < 0 ? (back ? choices.length - 1 : 0) : (at + (back ? -1 : 1) + choices.length) % choices.length;
    this.change({ [dimension.name]: choices[next] });
    return true;
  }

  // --- near-duplicates -------------------------------------------------------------------------

  private lookUp(text: string): void {
    if (text === this.searched || !this.assignmentId) return;
    this.searched = text;
    if (!text.trim()) {
      this.similar = [];
      return;
    }
    void fetch(`/api/assignments/${this.assignmentId}/prompts/${encodeURIComponent(this.question.name)}/similar`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": this.csrfToken },
      body: JSON.stringify({ text }),
    })
      .then(async (response) => {
        if (!response.ok || this.searched !== text) return;
        this.similar = ((await response.json()) as { similar: Similar[] }).similar;
      })
      .catch(() => undefined);
  }

  // --- red team: the live answer ---------------------------------------------------------------

  private async generate(): Promise<void> {
    const prompt = this.text;
    if (this.streaming || this.disabled) return;
    if (!prompt.trim()) {
      this.problem = "Write the prompt first.";
      return;
    }
    this.problem = null;
    this.streaming = { prompt, candidates: [], done: new Set() };
    this.controller = new AbortController();
    try {
      const problem = await streamTurn(this, this.liveUrl, { turn: 0, message: prompt }, this.controller.signal, (name, data) => this.onEvent(name, data));
      if (problem) this.problem = problem;
    } finally {
      this.streaming = null;
      this.controller = null;
    }
  }

  private onEvent(name: string, data: Record<string, unknown>): void {
    const streaming = this.streaming;
    if (!streaming) return;
    const panes = streamedPanes(streaming, name, data);
    if (panes) {
      this.streaming = panes;
    } else if (name === "turn") {
      this.generated = { prompt: streaming.prompt, candidate: (data["candidates"] as LiveCandidate[])[0]! };
      this.change({});
    } else {
      this.problem = endingProblem(name, { ...data, candidate: "The model" }) ?? this.problem;
    }
  }

  private async stop(): Promise<void> {
    await stopTurn(this, this.liveUrl);
    this.controller?.abort();
  }

  // --- keys ------------------------------------------------------------------------------------

  override handleKey(event: KeyboardEvent): KeyResult {
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const key = event.key.toLowerCase();
    const dimension = DIMENSIONS.find((d) => d.key === key);
    if (dimension) return this.step(dimension, event.shiftKey) ? "handled" : false;
    const redTeam = this.redTeam;
    if (!redTeam) return false;
    if (event.key === "Escape" && this.streaming) {
      void this.stop();
      return "handled";
    }
    if (key === "g") {
      void this.generate();
      return "handled";
    }
    if (key === "y" || key === "n") {
      this.change({ succeeded: key === "y" });
      return "handled";
    }
    if (key === "o") {
      this.querySelector<HTMLTextAreaElement>("[data-notes]")?.focus();
      return "handled";
    }
    const digit = /^Digit(\d)$/.exec(event.code)?.[1];
    const harm = digit === undefined ? undefined : redTeam.harm_categories[digit === "0" ? 9 : Number(digit) - 1];
    if (harm === undefined) return false;
    this.change({ harm_category: harm });
    return "handled";
  }

  override shortcuts(): Shortcut[] {
    const dims = DIMENSIONS.filter((d) => typeof this.brief[d.name] !== "string" && setting<string[]>(this.question, d.setting, []).length);
    const shortcuts: Shortcut[] = [
      { keys: "Esc", does: "leave the prompt box (then the keys below work)" },
      ...dims.map((d) => ({ keys: `${d.key.toUpperCase()} / Shift+${d.key.toUpperCase()}`, does: `next / previous ${d.label.toLowerCase()}` })),
    ];
    if (!this.redTeam) return shortcuts;
    return [
      ...shortcuts,
      { keys: "G", does: "send the prompt to the model (again: regenerate)" },
      { keys: "Esc", does: "stop a generation" },
      { keys: "Y / N", does: "the attempt succeeded / the model held" },
      { keys: "1 … 9", does: "the harm category" },
      { keys: "O", does: "go to the notes" },
    ];
  }
}

customElements.define("fl-prompt-widget", PromptWidget);
