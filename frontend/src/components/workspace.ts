/** <fl-workspace>: leases an item, shows it with one widget per question, autosaves the
 * draft, submits, and shows the next one. Keyboard first; see SHORTCUTS and the `?` overlay.
 *
 * The server is the source of truth: a reload asks for the next assignment, which returns
 * the lease this worker already holds with its draft, so nothing typed is lost.
 *
 * While an item is on screen the next one is already leased (prefetch: `next?exclude=`)
 * and its media loaded, so that after a submit or a return the next item appears with no
 * network wait. Models' suggestions pre-fill the answers of an assignment without a draft,
 * each marked on its question. */
import { html, LitElement, nothing, type TemplateResult } from "lit";
import { Api, ApiError, describeError, splitFieldErrors } from "../lib/api";
import { isArena, revealText } from "../lib/arena";
import { formatDuration, LeaseClock, TaskTimer } from "../lib/clock";
import { Debouncer } from "../lib/debounce";
import { isAnswered, questionOfErrorField, withAnswer } from "../lib/fields";
import { History } from "../lib/history";
import { Prefetch, serverSecondsLeft } from "../lib/prefetch";
import type { Answers, ApiErrorBody, Assignment, Fields, NextAssignment, Question, Shortcut, Suggestion } from "../types";
import type { AnswerDetail } from "../widgets/base";
import { keptOriginal } from "../widgets/rewrite";
import type { ItemView } from "./item-view";
import { breakScreen, contentWarning, revealNext, riskStrip } from "./content-notice";
import { reworkBanner } from "./rework-banner";
import {
  confirmKey,
  failedBanner,
  failureText,
  focusWidget,
  guidelinesButton,
  helpDialog,
  helpHasKeys,
  isTyping,
  leaseTimer,
  leaveTextBox,
  listenForUndo,
  openHelp,
  pseudonymTag,
  questionSection,
  recordAnswers,
  REVEAL_SHORTCUT,
  returnConfirm,
  taskLayout,
  toggleGuidelines,
  UNDO_SHORTCUT,
  widgetAt,
} from "./task-view";

/** "revealed": an arena task's vote is in and the page names its models before the next task. */
type Phase = "loading" | "working" | "submitting" | "revealed" | "empty" | "expired" | "failed";
type SaveState = "idle" | "unsaved" | "saving" | "saved" | "failed";
/** What stands before a risky item: a break prompt, then the content warning. */
type Gate = "none" | "warning" | "break";

const AUTOSAVE_MS = 700;

const SHORTCUTS: Shortcut[] = [
  { keys: "1 … 9, 0", does: "answer the active question (labels, ratings, choices)" },
  { keys: "Tab / Shift+Tab", does: "move between questions and controls" },
  { keys: "Enter", does: "submit and get the next item" },
  UNDO_SHORTCUT,
  { keys: "Esc", does: "return the task without penalty (asks first; Enter confirms)" },
  { keys: "G", does: "show or hide the guidelines" },
  { keys: "S", does: "content warning: show the task" },
  REVEAL_SHORTCUT,
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
    gate: { state: true },
    revealed: { state: true },
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
  declare gate: Gate;
  /** Arena mode: which model was which, shown between the vote and the next task. */
  declare revealed: string;

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
  private readonly listeners = new AbortController();
  /** Each question's suggestion on the assignment on screen. */
  private suggested: Record<string, Suggestion> = {};
  /** The next assignment, leased and loaded behind the one on screen. */
  private readonly prefetch = new Prefetch<Assignment>(this, () => this.api, (a) => a);
  /** Whether the worker changed anything on the assignment on screen. */
  private touched = false;

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
    this.gate = "none";
    this.revealed = "";
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
    listenForUndo(signal, (redo) => this.undo(redo));
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

  /** Show the prefetched assignment at once, or lease the next item (or get back the one
   * this worker holds) and show it. */
  async next(): Promise<void> {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const ready = await this.prefetch.take(this.assignment?.id);
    if (ready) {
      this.show(ready);
      void this.confirmLease(ready.id);
      return;
    }
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
    // Rework starts from the worker's own answers, not a model's.
    this.suggested = assignment.feedback ? {} : suggestionsOf(assignment);
    this.touched = false;
    // A draft always wins: it holds what the worker did, suggestions included; rework
    // starts from the answers the reviewer sent back.
    this.answers =
      assignment.draft?.answers ?? structuredClone(assignment.feedback?.previous_answers) ?? prefill(assignment.questions, this.suggested);
    this.errors = {};
    this.alert = "";
    this.active = 0;
    this.empty = null;
    this.confirmingReturn = false;
    this.gate = assignment.content?.break_due ? "break" : assignment.content?.warning ? "warning" : "none";
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
    void this.updateComplete.then(() => {
      if (this.gate === "none") void this.focusActive();
      else this.focusGate();
      // Once this item is on screen, lease and load the next one behind it.
      requestAnimationFrame(() => this.prefetchNext(assignment.id));
    });
  }

  // --- prefetch -------------------------------------------------------------------------------

  private prefetchNext(onScreen: number): void {
    if (this.assignment?.id !== onScreen || this.phase !== "working") return;
    const request = () => this.api.nextAssignment(this.projectId, onScreen).then((answer) => answer.assignment);
    this.prefetch.start(onScreen, request, () => this.assignment?.id);
  }

  /** A prefetched lease can have ended meanwhile (it expired, or was returned from another
   * tab): ask the server, which also gives the exact time left. If it is gone and the
   * worker has not touched it yet, move on to a fresh one; else say the lease expired. */
  private async confirmLease(id: number): Promise<void> {
    const left = await serverSecondsLeft(this.api, id);
    if (left === null || this.assignment?.id !== id) return;
    if (left > 0) {
      this.lease = new LeaseClock(left);
      return;
    }
    if (this.phase !== "working") return;
    if (this.touched) return this.expire();
    this.autosave.cancel();
    this.notice = "The next item was no longer held for you, so here is another.";
    this.phase = "loading";
    await this.next();
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
    const answers = withMarkingDefaults(assignment.questions, this.answers, assignment.item.fields);
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
    if (isArena(assignment.item.fields) && (await this.reveal(assignment.id))) return;
    await this.next();
  }

  /** Arena mode: the models behind a and b, now that the vote is in; false when the server
   * would not say (the next task comes at once, the vote is kept either way). */
  private async reveal(assignmentId: number): Promise<boolean> {
    try {
      this.revealed = revealText(await this.api.arenaReveal(assignmentId));
    } catch {
      return false;
    }
    this.phase = "revealed";
    void this.updateComplete.then(() => this.querySelector<HTMLElement>("[data-arena-next]")?.focus());
    return true;
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
    const { name, value, typed } = event.detail;
    this.touched = true;
    recordAnswers(this.history, this.answers, this.assignment?.questions ?? [], name, typed);
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

  /** Undo (or redo) a change to the answers; false when not working on a task. */
  private undo(redo: boolean): boolean {
    if (this.phase !== "working") return false;
    const restored = this.history.step(this.answers, redo);
    if (restored === undefined) return true;
    this.touched = true;
    this.setAnswers(restored);
    this.notice = redo ? "Redone." : "Undone.";
    return true;
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
    this.alert = describeError(error.body);
  }

  private showFieldErrors(body: ApiErrorBody): void {
    const questions = new Set(this.assignment?.questions.map((q) => q.name));
    const { fields: errors, general } = splitFieldErrors(body, (field) => {
      const name = questionOfErrorField(field);
      return name && questions.has(name) ? name : null;
    });
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
    this.alert = failureText(error);
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
    if (helpHasKeys(this, event)) return;
    if (this.confirmingReturn) return confirmKey(event, () => void this.returnTask(), () => (this.confirmingReturn = false));
    if (this.phase === "working" && this.gate !== "none") return this.onGateKey(event);
    if (this.phase === "revealed" && event.key === "Enter") {
      event.preventDefault();
      return void this.next();
    }
    if (this.phase !== "working" && this.phase !== "expired") return;
    const origin = event.composedPath()[0];
    const target = origin instanceof HTMLElement ? origin : undefined;
    if (target && isTyping(target)) return this.onTypingKey(event, target);
    const handled = this.onCommandKey(event, target);
    if (handled) event.preventDefault();
  }

  private onTypingKey(event: KeyboardEvent, target: HTMLElement): void {
    const singleLine = target instanceof HTMLInputElement;
    if (event.key === "Escape") {
      leaveTextBox(this, target, this.active);
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey || singleLine)) {
      void this.submit();
    } else {
      return;
    }
    event.preventDefault();
  }

  private onCommandKey(event: KeyboardEvent, target: HTMLElement | undefined): boolean {
    const key = event.key.toLowerCase();
    if (event.ctrlKey || event.metaKey) return false;
    if (event.key === "?") return openHelp(this);
    if (event.key === "Enter") {
      // Enter on a toolbar button, a reveal button, a link or a folded section (a system prompt)
      // does what it says; everywhere else it submits.
      if (target && target.closest("a, summary, .fl-toolbar button, .fl-banner button, .fl-reveal")) return false;
      void this.submit();
      return true;
    }
    const result = this.phase === "working" ? (this.activeWidget()?.handleKey(event) ?? false) : false;
    if (result === "advance") this.advance();
    if (result) return true;
    if (this.querySelector<ItemView>("fl-item-view")?.handleMediaKey(event)) return true;
    if (event.altKey) return false;
    if (event.key === "Escape") {
      this.askReturn();
      return true;
    }
    if (key === "g") return toggleGuidelines(this);
    if (key === "v") return revealNext(this);
    return false;
  }

  // --- content warning and break prompt --------------------------------------------------------

  /** Before a risky item only these keys work: nothing can be answered or submitted unseen. */
  private onGateKey(event: KeyboardEvent): void {
    const key = event.key.toLowerCase();
    if (this.gate === "break" && event.key === "Enter") this.passGate();
    else if (this.gate === "warning" && key === "s") this.passGate();
    else if (this.gate === "warning" && event.key === "Escape") void this.returnTask();
    else if (event.key === "?") openHelp(this);
    else if (key === "g") toggleGuidelines(this);
    else return;
    event.preventDefault();
  }

  /** From the break to the warning, from the warning to the task. */
  private passGate(): void {
    this.gate = this.gate === "break" && this.assignment?.content?.warning ? "warning" : "none";
    void this.updateComplete.then(() => (this.gate === "none" ? void this.focusActive() : this.focusGate()));
  }

  /** The warning itself takes focus, not its Show button: an Enter held from submitting
   * the previous item must not show the next one. */
  private focusGate(): void {
    this.querySelector<HTMLElement>(".fl-content-warning, .fl-break [data-continue]")?.focus();
  }

  private activeWidget() {
    return widgetAt(this, this.active);
  }

  private advance(): void {
    const count = this.assignment?.questions.length ?? 0;
    if (this.active < count - 1) {
      this.active += 1;
      void this.updateComplete.then(() => void this.focusActive());
    }
  }

  private focusActive(): Promise<void> {
    return focusWidget(this, this.active);
  }

  // --- rendering ----------------------------------------------------------------------------

  override render() {
    return html`${this.renderToolbar()}
      <p class="fl-notice" role="status" aria-live="polite">${this.notice}</p>
      ${this.alert ? html`<p class="fl-alert" role="alert">${this.alert}</p>` : nothing} ${this.renderBody()}
      ${this.confirmingReturn ? returnConfirm(() => void this.returnTask(), () => (this.confirmingReturn = false)) : nothing}
      ${helpDialog(this, SHORTCUTS)}`;
  }

  private renderToolbar(): TemplateResult {
    const working = this.phase === "working" || this.phase === "submitting";
    const left = this.lease?.secondsLeft() ?? 0;
    return html`<div class="fl-toolbar">
      <span class="fl-project">${this.projectName}</span>
      ${pseudonymTag(this.pseudonym)}
      ${working
        ? html`${leaseTimer(left)}
            <span class="fl-spent" title="Time on this task">On task ${formatDuration(this.timer.elapsedMs() / 1000)}</span>
            <span class="fl-save" data-state=${this.saveState}>${SAVE_TEXT[this.saveState]}</span>`
        : nothing}
      <span class="fl-spacer"></span>
      ${guidelinesButton(this)}
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
        return failedBanner(this.alert);
      case "revealed":
        return html`<div class="fl-banner fl-arena-reveal">
          <h2>Your vote is in</h2>
          <p data-arena-names>${this.revealed}</p>
          <p><button type="button" class="fl-primary" data-arena-next @click=${() => void this.next()}>Next task <kbd>Enter</kbd></button></p>
        </div>`;
      case "empty":
        return this.renderEmpty();
      default:
        return this.renderGate() ?? this.renderTask();
    }
  }

  private renderGate(): TemplateResult | null {
    const notice = this.assignment?.content;
    if (!notice || this.gate === "none" || this.phase !== "working") return null;
    if (this.gate === "break") return breakScreen(notice, () => this.passGate());
    return contentWarning(notice, () => this.passGate(), () => void this.returnTask());
  }

  private renderEmpty(): TemplateResult {
    const reason = this.empty?.reason ?? "complete";
    return html`<div class="fl-banner fl-empty" data-reason=${reason}>
      <h2>${EMPTY_TEXT[reason].title}</h2>
      <p>${EMPTY_TEXT[reason].body}</p>
      ${this.renderEmptyDetail()}
      <p>
        <button type="button" @click=${() => void this.next()}>Check again</button>
        <a href="/">Back to your projects</a>
      </p>
    </div>`;
  }

  /** Why a risky project holds the worker back: what to opt into, or when the cap resets. */
  private renderEmptyDetail(): TemplateResult | typeof nothing {
    const detail = this.empty?.detail;
    if (this.empty?.reason === "content_risk_opt_in" && detail?.missing) {
      return html`<p>Not yet agreed to: <strong>${detail.missing.join(", ")}</strong>. <a href="/me/content">Choose what content you agree to see</a></p>`;
    }
    if (this.empty?.reason === "exposure_cap_reached" && detail?.resets_at) {
      return html`<p>Reached today for: <strong>${(detail.categories ?? []).join(", ")}</strong>. Work opens again at ${new Date(detail.resets_at).toLocaleString()}.</p>`;
    }
    return nothing;
  }

  private renderTask(): TemplateResult {
    const assignment = this.assignment!;
    const expired = this.phase === "expired";
    const views = assignment.questions.map((q, i) =>
      questionSection(assignment, i, {
        answers: this.answers,
        active: i === this.active,
        disabled: expired,
        error: this.errors[q.name],
        note: this.renderSuggestionMark(q),
        onActivate: () => (this.active = i),
      }),
    );
    return html`${expired ? this.renderExpired() : nothing}
      ${assignment.content ? riskStrip(assignment.content) : nothing}
      ${assignment.feedback ? reworkBanner(assignment.feedback, this.projectId) : nothing}
      ${taskLayout(assignment, views, this.prefetch.state)}`;
  }

  /** "Suggested by <agent>, 87%" while the answer is the model's; "edited" once it is not. */
  private renderSuggestionMark(question: Question): TemplateResult | typeof nothing {
    const suggestion = this.suggested[question.name];
    if (!suggestion) return nothing;
    const edited = !sameAnswer(this.answers[question.name], suggestion.answer);
    const score = typeof suggestion.score === "number" ? `, ${Math.round(suggestion.score * 100)}%` : "";
    const by = `${suggestion.agent || "a model"}${score}`;
    return html`<p class="fl-suggestion" data-state=${edited ? "edited" : "suggested"}>
      ${edited ? html`<strong>Edited by you</strong> · suggested by ${by}` : html`<strong>Suggested</strong> by ${by}: check it, then change or keep it`}
    </p>`;
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
  content_risk_opt_in: {
    title: "This project has content you have not agreed to see",
    body: "Its items may contain disturbing content. You only get its tasks once you opt into each of its content categories.",
  },
  exposure_cap_reached: {
    title: "Enough of this content for today",
    body: "You have reached today's limit of risky items in a content category of this project. This protects you; it carries no penalty.",
  },
};

/** Question types where marking nothing is an answer: a text with no entities, an image
 * with no objects. Submitting such an item untouched says exactly that. */
const MARKING_TYPES = new Set(["span", "bbox", "polygon"]);

/** The best-scored suggestion per question of the assignment. */
function suggestionsOf(assignment: Assignment): Record<string, Suggestion> {
  const names = new Set(assignment.questions.map((q) => q.name));
  const best: Record<string, Suggestion> = {};
  for (const s of assignment.suggestions ?? []) {
    if (!names.has(s.question) || !isAnswered(s.answer)) continue;
    const held = best[s.question];
    if (!held || (s.score ?? -1) > (held.score ?? -1)) best[s.question] = s;
  }
  return best;
}

function prefill(questions: Question[], suggested: Record<string, Suggestion>): Answers {
  const answers: Answers = {};
  for (const q of questions) {
    const suggestion = suggested[q.name];
    if (suggestion) answers[q.name] = structuredClone(suggestion.answer);
  }
  return answers;
}

/** Equal as JSON, whatever the order of object keys. */
function sameAnswer(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  ) ?? "undefined";
}

/** The answers with what an untouched question says: no marks, or (a rewrite the project lets
 * workers leave unchanged) the original kept. */
function withMarkingDefaults(questions: Question[], answers: Answers, fields: Fields): Answers {
  const filled = { ...answers };
  for (const q of questions) {
    if (filled[q.name] !== undefined) continue;
    if (MARKING_TYPES.has(q.type)) filled[q.name] = [];
    else if (q.type === "rewrite") filled[q.name] = keptOriginal(q, fields);
  }
  return filled;
}

customElements.define("fl-workspace", Workspace);
