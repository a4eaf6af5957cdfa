/** <fl-workspace>: leases an item, shows it with one widget per question, autosaves the
 * draft, submits, and leases the next one. Keyboard first; see SHORTCUTS and the `?` overlay.
 *
 * The server is the source of truth: a reload asks for the next assignment, which returns
 * the lease this worker already holds with its draft, so nothing typed is lost. */
import { html, LitElement, nothing, type TemplateResult } from "lit";
import { Api, ApiError } from "../lib/api";
import { formatDuration, LeaseClock, TaskTimer } from "../lib/clock";
import { Debouncer } from "../lib/debounce";
import { fieldShownByWidget, isAnswered, questionOfErrorField } from "../lib/fields";
import { History } from "../lib/history";
import type { Answers, ApiErrorBody, Assignment, NextAssignment, Question, Shortcut } from "../types";
import type { AnswerDetail, Widget } from "../widgets/base";
import { isSupported, renderWidget } from "../widgets/registry";
import "./item-view";

type Phase = "loading" | "working" | "submitting" | "empty" | "expired" | "failed";
type SaveState = "idle" | "unsaved" | "saving" | "saved" | "failed";

const AUTOSAVE_MS = 700;
const LEASE_WARNING_S = 120;

const SHORTCUTS: Shortcut[] = [
  { keys: "1 … 9, 0", does: "answer the active question (labels, ratings, choices)" },
  { keys: "Tab / Shift+Tab", does: "move between questions and controls" },
  { keys: "Enter", does: "submit and get the next item" },
  { keys: "Ctrl+Z / Ctrl+Shift+Z", does: "undo / redo" },
  { keys: "Esc", does: "return the task without penalty (asks first; Enter confirms)" },
  { keys: "G", does: "show or hide the guidelines" },
  { keys: "?", does: "show or hide these shortcuts" },
];

export class Workspace extends LitElement {
  static override properties = {
    phase: { state: true },
    assignment: { state: true },
    answers: { state: true },
    errors: { state: true },
    notice: { state: true },
    alert: { state: true },
    empty: { state: true },
    active: { state: true },
    saveState: { state: true },
    confirmingReturn: { state: true },
    tick: { state: true },
  };

  declare phase: Phase;
  declare assignment: Assignment | null;
  declare answers: Answers;
  /** Field-level errors by question name, from the server's 422 answer or a local check. */
  declare errors: Record<string, string>;
  declare notice: string;
  declare alert: string;
  declare empty: NextAssignment | null;
  declare active: number;
  declare saveState: SaveState;
  declare confirmingReturn: boolean;
  declare tick: number;

  private projectId = 0;
  private projectName = "";
  private pseudonym = "";
  private guidelineVersion = 0;
  private api = new Api("");
  private readonly history = new History<Answers>();
  private readonly timer = new TaskTimer();
  private readonly autosave = new Debouncer(AUTOSAVE_MS);
  private lease: LeaseClock | null = null;
  private clock: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private submitted = 0;
  /** The draft save on the wire, which a submit waits for so the two never cross. */
  private draftInFlight: Promise<void> | null = null;
  /** Item fields that a question widget shows itself, so the item view leaves them out. */
  private omit = new Set<string>();
  private readonly listeners = new AbortController();

  constructor() {
    super();
    this.phase = "loading";
    this.assignment = null;
    this.answers = {};
    this.errors = {};
    this.notice = "";
    this.alert = "";
    this.empty = null;
    this.active = 0;
    this.saveState = "idle";
    this.confirmingReturn = false;
    this.tick = 0;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.projectId = Number(this.dataset["projectId"]);
    this.projectName = this.dataset["projectName"] ?? "";
    this.pseudonym = this.dataset["pseudonym"] ?? "";
    this.guidelineVersion = Number(this.dataset["guidelineVersion"] ?? 0);
    this.api = new Api(this.dataset["csrfToken"] ?? "");
    const signal = this.listeners.signal;
    document.addEventListener("keydown", (e) => this.onKey(e), { signal });
    // Capture, so that no widget library sees Ctrl+Z: undo is the workspace's alone.
    window.addEventListener("keydown", (e) => this.onUndoKey(e), { signal, capture: true });
    document.addEventListener("visibilitychange", () => this.onVisibility(), { signal });
    window.addEventListener("pagehide", () => this.saveNow(true), { signal });
    this.addEventListener("fl-answer", (e) => this.onAnswer(e as CustomEvent<AnswerDetail>), { signal });
    this.clock = setInterval(() => this.onTick(), 1000);
    void this.next();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.listeners.abort();
    if (this.clock !== null) clearInterval(this.clock);
    if (this.retry !== null) clearTimeout(this.retry);
    this.autosave.cancel();
  }

  // --- the work cycle ---------------------------------------------------------------------

  /** Lease the next item (or get back the one this worker holds) and show it. */
  async next(): Promise<void> {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    try {
      const answer = await this.api.nextAssignment(this.projectId);
      if (answer.assignment) this.show(answer.assignment);
      else this.showEmpty(answer);
    } catch (error) {
      this.fail(error);
    }
  }

  private show(assignment: Assignment): void {
    this.assignment = assignment;
    this.omit = new Set(assignment.questions.map(fieldShownByWidget).filter((f): f is string => f !== null));
    this.answers = assignment.draft?.answers ?? {};
    this.errors = {};
    this.alert = "";
    this.active = 0;
    this.empty = null;
    this.confirmingReturn = false;
    this.saveState = assignment.draft ? "saved" : "idle";
    this.history.clear();
    this.timer.start(assignment.draft?.time_spent_ms ?? 0);
    this.lease = new LeaseClock(assignment.seconds_left);
    this.phase = "working";
    if (assignment.draft) {
      this.notice = "Your saved draft was restored.";
    }
    if (assignment.guideline_version !== this.guidelineVersion && this.guidelineVersion > 0) {
      this.notice = "The guidelines changed since this page was opened: reload the page to read them.";
    }
    void this.updateComplete.then(() => void this.focusActive());
  }

  private showEmpty(answer: NextAssignment): void {
    this.assignment = null;
    this.empty = answer;
    this.phase = "empty";
    if (answer.reason === "leased_to_others") {
      const seconds = Math.min(300, Math.max(5, answer.retry_after_seconds ?? 30));
      this.retry = setTimeout(() => void this.next(), seconds * 1000);
    }
  }

  async submit(): Promise<void> {
    const assignment = this.assignment;
    if (this.phase !== "working" || !assignment) return;
    const answers = withMarkingDefaults(assignment.questions, this.answers);
    const missing = assignment.questions.filter((q) => q.required && !isAnswered(answers[q.name]));
    if (missing.length > 0) {
      this.errors = Object.fromEntries(missing.map((q) => [q.name, "This question needs an answer."]));
      this.alert = missing.length === 1 ? "One question still needs an answer." : `${missing.length} questions still need an answer.`;
      this.active = assignment.questions.indexOf(missing[0]!);
      void this.updateComplete.then(() => void this.focusActive());
      return;
    }
    this.autosave.cancel();
    this.phase = "submitting";
    const spent = this.timer.stop();
    await this.draftInFlight;
    try {
      await this.api.submit(assignment.id, answers, spent);
    } catch (error) {
      this.phase = "working";
      this.timer.start(spent);
      this.onWriteError(error, assignment.id);
      return;
    }
    this.submitted += 1;
    this.notice = `Submitted. ${this.submitted} done in this session.`;
    await this.next();
  }

  private askReturn(): void {
    if (this.phase === "working" || this.phase === "expired") this.confirmingReturn = true;
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(".fl-confirm [data-confirm]")?.focus());
  }

  /** Give the task back without penalty; the item goes to someone else. */
  async returnTask(): Promise<void> {
    const assignment = this.assignment;
    this.confirmingReturn = false;
    if (!assignment) return;
    this.autosave.cancel();
    if (this.phase === "working") {
      try {
        await this.api.returnAssignment(assignment.id);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 410)) {
          this.onWriteError(error, assignment.id);
          return;
        }
      }
    }
    this.notice = "Task returned without penalty.";
    this.phase = "loading";
    await this.next();
  }

  // --- answers, undo, autosave ---------------------------------------------------------------

  private onAnswer(event: CustomEvent<AnswerDetail>): void {
    if (this.phase !== "working") return;
    const { name, value } = event.detail;
    const typed = this.assignment?.questions.find((q) => q.name === name)?.type === "text";
    this.history.record(this.answers, typed ? name : null);
    this.setAnswers(withAnswer(this.answers, name, value));
    if (this.errors[name]) {
      const { [name]: _gone, ...rest } = this.errors;
      this.errors = rest;
      if (Object.keys(rest).length === 0) this.alert = "";
    }
  }

  private setAnswers(answers: Answers): void {
    this.answers = answers;
    this.scheduleSave();
  }

  private undo(redo: boolean): void {
    const restored = redo ? this.history.redo(this.answers) : this.history.undo(this.answers);
    if (restored === undefined) return;
    this.setAnswers(restored);
    this.notice = redo ? "Redone." : "Undone.";
  }

  private scheduleSave(): void {
    this.saveState = "unsaved";
    this.autosave.schedule(() => void this.saveDraft(false));
  }

  private saveNow(keepalive: boolean): void {
    if (!this.autosave.isPending) return;
    this.autosave.cancel();
    void this.saveDraft(keepalive);
  }

  private saveDraft(keepalive: boolean): Promise<void> {
    const saving = this.putDraft(keepalive).finally(() => {
      if (this.draftInFlight === saving) this.draftInFlight = null;
    });
    this.draftInFlight = saving;
    return saving;
  }

  private async putDraft(keepalive: boolean): Promise<void> {
    const assignment = this.assignment;
    if (this.phase !== "working" || !assignment) return;
    this.saveState = "saving";
    try {
      await this.api.saveDraft(assignment.id, this.answers, this.timer.elapsedMs(), keepalive);
      if (this.assignment?.id === assignment.id && this.saveState === "saving") this.saveState = "saved";
    } catch (error) {
      if (this.assignment?.id !== assignment.id) return;
      this.saveState = "failed";
      this.onWriteError(error, assignment.id);
    }
  }

  // --- errors -------------------------------------------------------------------------------

  private onWriteError(error: unknown, assignmentId: number): void {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 410) return this.expire();
    if (error.status === 401) return this.fail(error);
    if (error.status === 422 && this.assignment?.id === assignmentId) return this.showFieldErrors(error.body);
    this.alert = describe(error.body);
  }

  private showFieldErrors(body: ApiErrorBody): void {
    const questions = new Set(this.assignment?.questions.map((q) => q.name));
    const errors: Record<string, string> = {};
    const general: string[] = [];
    const details = body.details?.length ? body.details : [body];
    for (const detail of details) {
      const name = questionOfErrorField(detail.field);
      const text = detail.expected ? `Expected ${detail.expected}.` : (detail.message ?? body.message);
      if (name && questions.has(name)) errors[name] = errors[name] ? `${errors[name]} ${text}` : text;
      else general.push(detail.message ?? text);
    }
    this.errors = errors;
    const count = Object.keys(errors).length;
    this.alert = general.join(" ") || `${count === 1 ? "One answer needs" : `${count} answers need`} a change.`;
    const first = this.assignment?.questions.findIndex((q) => q.name in errors) ?? -1;
    if (first >= 0) this.active = first;
    void this.updateComplete.then(() => void this.focusActive());
  }

  /** The lease ran out: say so plainly and keep the answers on screen; the server keeps the
   * last autosaved draft with the assignment. */
  private expire(): void {
    if (!this.assignment || this.phase === "expired") return;
    this.autosave.cancel();
    this.timer.stop();
    this.phase = "expired";
    this.confirmingReturn = false;
  }

  private fail(error: unknown): void {
    if (!(error instanceof ApiError)) throw error;
    this.phase = "failed";
    this.alert = error.status === 401 ? "Your session ended. Sign in again to continue." : describe(error.body);
  }

  // --- clock and keyboard ---------------------------------------------------------------------

  private onTick(): void {
    this.tick += 1;
    if (this.phase === "working" && this.lease && this.lease.secondsLeft() <= 0) this.expire();
  }

  private onVisibility(): void {
    this.timer.sync();
    if (document.visibilityState === "hidden") this.saveNow(true);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.isComposing) return;
    const help = this.querySelector<HTMLDialogElement>("dialog.fl-help");
    if (help?.open) {
      if (event.key === "?") help.close();
      return;
    }
    if (this.confirmingReturn) return this.onConfirmKey(event);
    if (this.phase !== "working" && this.phase !== "expired") return;
    const origin = event.composedPath()[0];
    const target = origin instanceof HTMLElement ? origin : undefined;
    if (target && isTyping(target)) return this.onTypingKey(event, target);
    const handled = this.onCommandKey(event, target);
    if (handled) event.preventDefault();
  }

  private onConfirmKey(event: KeyboardEvent): void {
    if (event.key === "Escape") this.confirmingReturn = false;
    else if (event.key === "Enter") void this.returnTask();
    else return;
    event.preventDefault();
  }

  private onTypingKey(event: KeyboardEvent, target: HTMLElement): void {
    const singleLine = target instanceof HTMLInputElement;
    if (event.key === "Escape") {
      target.blur();
      this.querySelector<HTMLElement>(`.fl-question[data-index="${this.active}"]`)?.focus();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey || singleLine)) {
      void this.submit();
    } else {
      return;
    }
    event.preventDefault();
  }

  /** Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y (Cmd on a Mac); inside a text box the browser's own undo. */
  private onUndoKey(event: KeyboardEvent): void {
    const key = event.key.toLowerCase();
    if (!(event.ctrlKey || event.metaKey) || event.altKey || (key !== "z" && key !== "y")) return;
    const target = event.composedPath()[0];
    if (this.phase !== "working" || (target instanceof HTMLElement && isTyping(target))) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    this.undo(key === "y" || event.shiftKey);
  }

  private onCommandKey(event: KeyboardEvent, target: HTMLElement | undefined): boolean {
    const key = event.key.toLowerCase();
    if (event.ctrlKey || event.metaKey) return false;
    if (event.key === "?") return this.toggleHelp();
    if (event.key === "Enter") {
      // Enter on a toolbar button or a link does what it says; everywhere else it submits.
      if (target && target.closest("a, .fl-toolbar button, .fl-banner button")) return false;
      void this.submit();
      return true;
    }
    const result = this.phase === "working" ? (this.activeWidget()?.handleKey(event) ?? false) : false;
    if (result === "advance") this.advance();
    if (result) return true;
    if (event.altKey) return false;
    if (event.key === "Escape") {
      this.askReturn();
      return true;
    }
    if (key === "g") return this.toggleGuidelines();
    return false;
  }

  private activeWidget(): Widget<unknown> | null {
    return this.querySelector<Widget<unknown>>(`.fl-question[data-index="${this.active}"] .fl-widget`);
  }

  private advance(): void {
    const count = this.assignment?.questions.length ?? 0;
    if (this.active < count - 1) {
      this.active += 1;
      void this.updateComplete.then(() => void this.focusActive());
    }
  }

  /** Focus the active question's input, once that widget has rendered, unless the worker
   * is busy elsewhere on the page (the guidelines, say). */
  private async focusActive(): Promise<void> {
    const widget = this.activeWidget();
    if (!widget) return;
    await widget.updateComplete;
    const owner = document.activeElement;
    if (owner && owner !== document.body && !this.contains(owner)) return;
    widget.focusInput();
  }

  private toggleHelp(): boolean {
    const help = this.querySelector<HTMLDialogElement>("dialog.fl-help");
    if (help && !help.open) help.showModal();
    return true;
  }

  private toggleGuidelines(): boolean {
    const panel = document.getElementById(this.dataset["guidelines"] ?? "");
    if (!panel) return false;
    panel.hidden = !panel.hidden;
    this.querySelector(".fl-guidelines-toggle")?.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) panel.focus();
    return true;
  }

  // --- rendering ----------------------------------------------------------------------------

  override render() {
    return html`${this.renderToolbar()}
      <p class="fl-notice" role="status" aria-live="polite">${this.notice}</p>
      ${this.alert ? html`<p class="fl-alert" role="alert">${this.alert}</p>` : nothing} ${this.renderBody()}
      ${this.confirmingReturn ? this.renderConfirm() : nothing} ${this.renderHelp()}`;
  }

  private renderToolbar(): TemplateResult {
    const working = this.phase === "working" || this.phase === "submitting";
    const left = this.lease?.secondsLeft() ?? 0;
    return html`<div class="fl-toolbar">
      <span class="fl-project">${this.projectName}</span>
      ${this.pseudonym
        ? html`<span class="fl-hint fl-pseudonym" title="Clients see your work under this name, never your name or email">as ${this.pseudonym}</span>`
        : nothing}
      ${working
        ? html`<span class="fl-lease ${left <= LEASE_WARNING_S ? "fl-warn" : ""}" title="Time left on this lease">
              Lease <span role="timer" aria-label="lease time left">${formatDuration(left)}</span>
            </span>
            <span class="fl-spent" title="Time on this task">On task ${formatDuration(this.timer.elapsedMs() / 1000)}</span>
            <span class="fl-save" data-state=${this.saveState}>${SAVE_TEXT[this.saveState]}</span>`
        : nothing}
      <span class="fl-spacer"></span>
      <button type="button" class="fl-guidelines-toggle" aria-expanded="false" @click=${this.toggleGuidelines}>Guidelines <kbd>G</kbd></button>
      <button type="button" @click=${this.toggleHelp}>Shortcuts <kbd>?</kbd></button>
      ${working || this.phase === "expired"
        ? html`<button type="button" class="fl-return" @click=${this.askReturn}>Return task <kbd>Esc</kbd></button>`
        : nothing}
      ${working
        ? html`<button type="button" class="fl-primary fl-submit" ?disabled=${this.phase === "submitting"} @click=${() => void this.submit()}>
            ${this.phase === "submitting" ? "Submitting…" : "Submit"} <kbd>Enter</kbd>
          </button>`
        : nothing}
    </div>`;
  }

  private renderBody(): TemplateResult | typeof nothing {
    switch (this.phase) {
      case "loading":
        return html`<p class="fl-hint fl-loading">Getting your next task…</p>`;
      case "failed":
        return html`<div class="fl-banner">
          <a href=${this.alert.startsWith("Your session") ? "/login" : "/"}>${this.alert.startsWith("Your session") ? "Sign in" : "Back to your projects"}</a>
        </div>`;
      case "empty":
        return this.renderEmpty();
      default:
        return this.renderTask();
    }
  }

  private renderEmpty(): TemplateResult {
    const reason = this.empty?.reason ?? "complete";
    return html`<div class="fl-banner fl-empty" data-reason=${reason}>
      <h2>${EMPTY_TEXT[reason].title}</h2>
      <p>${EMPTY_TEXT[reason].body}</p>
      <p>
        <button type="button" @click=${() => void this.next()}>Check again</button>
        <a href="/">Back to your projects</a>
      </p>
    </div>`;
  }

  /** The item on the left with the questions that draw on it (spans on its text, shapes on
   * its image); the other questions on the right, or below on a narrow screen. */
  private renderTask(): TemplateResult {
    const assignment = this.assignment!;
    const expired = this.phase === "expired";
    const sections = assignment.questions.map((q, i) => ({ onItem: fieldShownByWidget(q) !== null, view: this.renderQuestion(q, i, expired) }));
    const onItem = sections.filter((s) => s.onItem);
    const aside = sections.filter((s) => !s.onItem);
    return html`${expired ? this.renderExpired() : nothing}
      <div class="fl-task ${aside.length ? "" : "fl-single"}" data-assignment=${assignment.id} data-item=${assignment.item_id}>
        <div class="fl-main">
          <fl-item-view class="fl-item" .fields=${assignment.item.fields} .omit=${this.omit}></fl-item-view>
          ${onItem.map((s) => s.view)}
        </div>
        ${aside.length ? html`<div class="fl-questions">${aside.map((s) => s.view)}</div>` : nothing}
      </div>`;
  }

  private renderQuestion(question: Question, index: number, disabled: boolean): TemplateResult {
    const error = this.errors[question.name];
    const active = index === this.active;
    const errorId = `fl-error-${question.name}`;
    return html`<section
      class="fl-question"
      data-question=${question.name}
      data-type=${question.type}
      data-index=${index}
      tabindex="-1"
      ?data-active=${active}
      aria-describedby=${error ? errorId : nothing}
      @focusin=${() => (this.active = index)}
      @pointerdown=${() => (this.active = index)}
    >
      <h2 class="fl-prompt">
        <span class="fl-qnum" aria-hidden="true">${index + 1}</span>
        ${question.prompt || question.name}
        ${question.required ? nothing : html`<span class="fl-hint">(optional)</span>`}
      </h2>
      ${renderWidget(question, this.answers, this.assignment!.item.fields, active, disabled)}
      ${error ? html`<p class="fl-field-error" id=${errorId} role="alert">${error}</p>` : nothing}
      ${isSupported(question.type) ? nothing : html`<p class="fl-hint">Return this task (Esc) if you cannot answer it.</p>`}
    </section>`;
  }

  private renderExpired(): TemplateResult {
    return html`<div class="fl-banner fl-expired" role="alert">
      <h2>Your lease on this item expired</h2>
      <p>
        The item went back to the queue, so it can no longer be submitted from here. Nothing you did is lost: your answers
        stay on this page, and the last autosaved draft is kept with the assignment.
      </p>
      <p><button type="button" class="fl-primary" @click=${() => void this.next()}>Get a new task</button></p>
    </div>`;
  }

  private renderConfirm(): TemplateResult {
    return html`<div class="fl-confirm" role="alertdialog" aria-label="Return this task?">
      <p>Return this task? It goes back to the queue, without any penalty for you.</p>
      <button type="button" class="fl-primary" data-confirm @click=${() => void this.returnTask()}>Return it <kbd>Enter</kbd></button>
      <button type="button" @click=${() => (this.confirmingReturn = false)}>Keep working <kbd>Esc</kbd></button>
    </div>`;
  }

  private renderHelp(): TemplateResult {
    const seen = new Set<string>();
    const widgetKeys: Shortcut[] = [];
    for (const widget of this.querySelectorAll<Widget<unknown>>(".fl-widget")) {
      for (const shortcut of widget.shortcuts?.() ?? []) {
        const key = `${widget.question.type}:${shortcut.keys}`;
        if (!seen.has(key)) widgetKeys.push({ keys: shortcut.keys, does: `${widget.question.type}: ${shortcut.does}` });
        seen.add(key);
      }
    }
    return html`<dialog class="fl-help" aria-labelledby="fl-help-title">
      <h2 id="fl-help-title">Keyboard shortcuts</h2>
      <table>
        ${[...SHORTCUTS, ...widgetKeys].map((s) => html`<tr><th scope="row"><kbd>${s.keys}</kbd></th><td>${s.does}</td></tr>`)}
      </table>
      <form method="dialog"><button type="submit" class="fl-primary">Close <kbd>Esc</kbd></button></form>
    </dialog>`;
  }
}

const SAVE_TEXT: Record<SaveState, string> = {
  idle: "",
  unsaved: "Unsaved changes",
  saving: "Saving draft…",
  saved: "Draft saved",
  failed: "Draft not saved",
};

const EMPTY_TEXT: Record<string, { title: string; body: string }> = {
  complete: { title: "All done here", body: "Every item in this project has all the answers it needs. Thank you!" },
  leased_to_others: {
    title: "Nothing free right now",
    body: "The remaining items are being worked on by others. This page checks again by itself when their leases end.",
  },
  already_worked_on: { title: "You have seen every item", body: "You have already worked on every item still open in this project." },
  no_items: { title: "No items yet", body: "This project has no items to label yet. Come back later." },
};

/** Question types where marking nothing is an answer: a text with no entities, an image
 * with no objects. Submitting such an item untouched says exactly that. */
const MARKING_TYPES = new Set(["span", "bbox", "polygon"]);

function withMarkingDefaults(questions: Question[], answers: Answers): Answers {
  const filled = { ...answers };
  for (const q of questions) if (MARKING_TYPES.has(q.type) && filled[q.name] === undefined) filled[q.name] = [];
  return filled;
}

function withAnswer(answers: Answers, name: string, value: unknown): Answers {
  const { [name]: _old, ...rest } = answers;
  return isAnswered(value) ? { ...rest, [name]: value } : rest;
}

function isTyping(target: HTMLElement): boolean {
  if (target instanceof HTMLTextAreaElement || target.isContentEditable) return true;
  return target instanceof HTMLInputElement && !["button", "checkbox", "radio", "submit", "range"].includes(target.type);
}

function describe(body: ApiErrorBody): string {
  return body.expected ? `${body.message} (expected ${body.expected})` : body.message;
}

customElements.define("fl-workspace", Workspace);
