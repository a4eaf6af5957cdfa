/** <fl-review>: the review workspace. Leases the oldest work waiting at a stage (never the
 * reviewer's own), shows the item and each question's widget read-only with the worker's
 * answers, and takes a verdict: A accepts, R rejects with a reason and the guideline section
 * it breaks, C makes the same widgets editable for a correction, with undo and redo as when
 * labelling. Esc cancels a form or a correction, and otherwise returns the task without
 * penalty.
 *
 * As in the labelling workspace, the next review is leased and its media loaded while one
 * is on screen (`reviews/next?exclude=`), so that it shows the moment a verdict is in. */
import { html, LitElement, nothing, type TemplateResult } from "lit";
import { Api, ApiError, describeError, splitFieldErrors } from "../lib/api";
import { formatDuration, LeaseClock } from "../lib/clock";
import { questionOfErrorField, withAnswer } from "../lib/fields";
import { History } from "../lib/history";
import { Prefetch, serverSecondsLeft } from "../lib/prefetch";
import type { Answers, ApiErrorBody, EarlierVerdict, ReviewTask, Shortcut, VerdictBody } from "../types";
import type { AnswerDetail } from "../widgets/base";
import { revealNext } from "./content-notice";
import type { ItemView } from "./item-view";
import type { RejectForm, Rejection } from "./reject-form";
import "./reject-form";
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

type Phase = "loading" | "viewing" | "rejecting" | "correcting" | "empty" | "expired" | "failed";

const SHORTCUTS: Shortcut[] = [
  { keys: "A", does: "accept the work as it is" },
  { keys: "R", does: "reject: pick the reason and the guideline section (number keys), Enter sends" },
  { keys: "C", does: "correct: the answers become editable, Enter sends the correction" },
  { keys: "1 … 9, 0", does: "while correcting: answer the active question" },
  { ...UNDO_SHORTCUT, does: `while correcting: ${UNDO_SHORTCUT.does}` },
  { keys: "Tab / Shift+Tab", does: "move between questions and controls" },
  { keys: "Esc", does: "cancel the rejection or correction; else return the task without penalty (asks first)" },
  { keys: "G", does: "show or hide the guidelines" },
  REVEAL_SHORTCUT,
  { keys: "?", does: "show or hide these shortcuts" },
];

const DONE: Record<VerdictBody["verdict"], string> = {
  accept: "Accepted.",
  reject: "Rejected; the worker sees your reason.",
  correct: "Correction saved.",
};

/** Form fields of a rejection, which a 422 can name. */
const FORM_FIELDS = new Set(["reason_code", "guideline_ref", "comment"]);

export class Review extends LitElement {
  static override properties = {
    phase: { state: true },
    task: { state: true },
    answers: { state: true },
    errors: { state: true },
    formErrors: { state: true },
    alert: { state: true },
    notice: { state: true },
    active: { state: true },
    busy: { state: true },
    confirmingReturn: { state: true },
    comment: { state: true },
    tick: { state: true },
  };

  declare phase: Phase;
  declare task: ReviewTask | null;
  /** The worker's answers; while correcting, the reviewer's edits of them. */
  declare answers: Answers;
  /** Field-level errors by question name, from the server's 422. */
  declare errors: Record<string, string>;
  /** Field-level errors of the rejection form. */
  declare formErrors: Record<string, string>;
  declare alert: string;
  declare notice: string;
  declare active: number;
  declare busy: boolean;
  declare confirmingReturn: boolean;
  /** The correction's comment. */
  declare comment: string;
  declare tick: number;

  private projectId = 0;
  private projectName = "";
  private stage = "review";
  private pseudonym = "";
  private api = new Api("");
  private lease: LeaseClock | null = null;
  private clock: ReturnType<typeof setInterval> | null = null;
  private reviewed = 0;
  /** The reviewer's edits while correcting. */
  private readonly history = new History<Answers>();
  private readonly listeners = new AbortController();
  /** The next review, leased and loaded behind the one on screen. */
  private readonly prefetch = new Prefetch<ReviewTask>(this, () => this.api, (task) => task.assignment);

  constructor() {
    super();
    this.phase = "loading";
    this.task = null;
    this.answers = {};
    this.errors = {};
    this.formErrors = {};
    this.alert = "";
    this.notice = "";
    this.active = 0;
    this.busy = false;
    this.confirmingReturn = false;
    this.comment = "";
    this.tick = 0;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.projectId = Number(this.dataset["projectId"]);
    this.projectName = this.dataset["projectName"] ?? "";
    this.stage = this.dataset["stage"] ?? "review";
    this.pseudonym = this.dataset["pseudonym"] ?? "";
    this.api = new Api(this.dataset["csrfToken"] ?? "");
    const signal = this.listeners.signal;
    document.addEventListener("keydown", (e) => this.onKey(e), { signal });
    listenForUndo(signal, (redo) => this.undo(redo));
    this.addEventListener("fl-answer", (e) => this.onAnswer(e as CustomEvent<AnswerDetail>), { signal });
    this.addEventListener("fl-reject", (e) => void this.reject((e as CustomEvent<Rejection>).detail), { signal });
    this.addEventListener("fl-cancel", () => this.cancel(), { signal });
    this.clock = setInterval(() => this.onTick(), 1000);
    void this.next();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.listeners.abort();
    if (this.clock !== null) clearInterval(this.clock);
  }

  // --- the review cycle -------------------------------------------------------------------

  /** Show the prefetched review at once, or lease the next one (or get back the one this
   * reviewer holds) and show it. */
  async next(): Promise<void> {
    const ready = await this.prefetch.take(this.task?.assignment.id);
    this.busy = false;
    if (ready) {
      this.show(ready);
      void this.confirmLease(ready.assignment.id);
      return;
    }
    this.phase = "loading";
    this.task = null;
    try {
      const answer = await this.api.nextReview(this.projectId, this.stage);
      if (answer.task) this.show(answer.task);
      else this.phase = "empty";
    } catch (error) {
      this.fail(error);
    }
  }

  private show(task: ReviewTask): void {
    this.task = task;
    this.lease = new LeaseClock(task.assignment.seconds_left);
    this.confirmingReturn = false;
    this.view();
    // Once this review is on screen, lease and load the next one behind it.
    void this.updateComplete.then(() => requestAnimationFrame(() => this.prefetchNext(task.assignment.id)));
  }

  private prefetchNext(onScreen: number): void {
    if (this.task?.assignment.id !== onScreen || !this.leased()) return;
    const request = () => this.api.nextReview(this.projectId, this.stage, onScreen).then((answer) => answer.task);
    this.prefetch.start(onScreen, request, () => this.task?.assignment.id);
  }

  /** A prefetched lease can have ended meanwhile (it expired, or was returned from another
   * tab): the server says, with the exact time left. If it is gone, move on to a fresh one,
   * unless the reviewer already started a rejection or correction of it. */
  private async confirmLease(id: number): Promise<void> {
    const left = await serverSecondsLeft(this.api, id);
    if (left === null || this.task?.assignment.id !== id || this.busy) return;
    if (left > 0) {
      this.lease = new LeaseClock(left);
      return;
    }
    if (this.phase === "rejecting" || this.phase === "correcting") return this.expire();
    if (this.phase !== "viewing") return;
    this.notice = "The next work was no longer held for you, so here is another.";
    await this.next();
  }

  /** Back to the worker's answers, read-only. */
  private view(): void {
    this.answers = structuredClone(this.task?.annotation.answers ?? {});
    this.errors = {};
    this.formErrors = {};
    this.alert = "";
    this.comment = "";
    this.active = 0;
    this.history.clear();
    this.phase = "viewing";
  }

  private startReject(): void {
    this.phase = "rejecting";
    void this.updateComplete.then(async () => {
      const form = this.querySelector<RejectForm>("fl-reject-form");
      await form?.updateComplete;
      form?.focusFirst();
    });
  }

  private startCorrect(): void {
    this.phase = "correcting";
    this.notice = "";
    void this.updateComplete.then(() => void focusWidget(this, this.active));
  }

  private cancel(): void {
    if (this.phase !== "rejecting" && this.phase !== "correcting") return;
    this.notice = "";
    this.view();
  }

  private accept(): Promise<void> {
    return this.send({ verdict: "accept" });
  }

  private reject(rejection: Rejection): Promise<void> {
    return this.send({ verdict: "reject", ...rejection });
  }

  private correct(): Promise<void> {
    return this.send({ verdict: "correct", answers: this.answers, comment: this.comment.trim() });
  }

  private async send(body: VerdictBody): Promise<void> {
    const task = this.task;
    if (!task || this.busy) return;
    this.busy = true; // until the next task shows
    try {
      await this.api.verdict(task.assignment.id, body);
    } catch (error) {
      this.busy = false;
      this.onVerdictError(error);
      return;
    }
    this.reviewed += 1;
    this.notice = `${DONE[body.verdict]} ${this.reviewed} reviewed in this session.`;
    await this.next();
  }

  private askReturn(): void {
    this.confirmingReturn = true;
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(".fl-confirm [data-confirm]")?.focus());
  }

  /** Give the review back without penalty; it goes to another reviewer, never back here. */
  private async returnTask(): Promise<void> {
    const task = this.task;
    this.confirmingReturn = false;
    if (!task) return;
    if (this.phase !== "expired") {
      try {
        await this.api.returnAssignment(task.assignment.id);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 410)) return this.onVerdictError(error);
      }
    }
    this.notice = "Task returned without penalty.";
    await this.next();
  }

  private onAnswer(event: CustomEvent<AnswerDetail>): void {
    if (this.phase !== "correcting") return;
    const { name, value, typed } = event.detail;
    recordAnswers(this.history, this.answers, this.task?.assignment.questions ?? [], name, typed);
    this.answers = withAnswer(this.answers, name, value);
    this.alert = "";
    if (this.errors[name]) {
      const { [name]: _gone, ...rest } = this.errors;
      this.errors = rest;
    }
  }

  /** Undo (or redo) an edit of the correction; false when not correcting. */
  private undo(redo: boolean): boolean {
    if (this.phase !== "correcting" || this.busy) return false;
    const restored = this.history.step(this.answers, redo);
    if (restored === undefined) return true;
    this.answers = restored;
    this.notice = redo ? "Redone." : "Undone.";
    return true;
  }

  // --- errors -------------------------------------------------------------------------------

  private onVerdictError(error: unknown): void {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 410) return this.expire();
    if (error.status === 401) return this.fail(error);
    if (error.status === 409) {
      this.notice = "This work already has a verdict at this stage, so here is the next.";
      void this.next();
      return;
    }
    if (error.status === 422) return this.showFieldErrors(error.body);
    this.alert = describeError(error.body);
  }

  /** Rejection fields beside the form's fields, answers beside their questions. */
  private showFieldErrors(body: ApiErrorBody): void {
    const questions = new Set(this.task?.assignment.questions.map((q) => q.name));
    const { fields, general } = splitFieldErrors(body, (field) => {
      if (field && FORM_FIELDS.has(field) && this.phase === "rejecting") return field;
      const name = questionOfErrorField(field);
      return name && questions.has(name) && this.phase === "correcting" ? name : null;
    });
    if (this.phase === "rejecting") this.formErrors = fields;
    else this.errors = fields;
    const whole = describeError(body);
    this.alert = general.length ? whole.charAt(0).toUpperCase() + whole.slice(1) : "Please check the marked fields.";
    const first = this.task?.assignment.questions.findIndex((q) => q.name in fields) ?? -1;
    if (first >= 0) {
      this.active = first;
      void this.updateComplete.then(() => void focusWidget(this, first));
    }
  }

  private expire(): void {
    if (!this.task) return;
    this.confirmingReturn = false;
    this.phase = "expired";
  }

  private fail(error: unknown): void {
    if (!(error instanceof ApiError)) throw error;
    this.phase = "failed";
    this.alert = failureText(error);
  }

  // --- clock and keyboard ---------------------------------------------------------------------

  private onTick(): void {
    this.tick += 1;
    if (this.leased() && this.lease && this.lease.secondsLeft() <= 0) this.expire();
  }

  /** Whether a live review lease is on screen. */
  private leased(): boolean {
    return this.phase === "viewing" || this.phase === "rejecting" || this.phase === "correcting";
  }

  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.isComposing || helpHasKeys(this, event)) return;
    if (this.confirmingReturn) return confirmKey(event, () => void this.returnTask(), () => (this.confirmingReturn = false));
    if (this.busy || event.ctrlKey || event.metaKey) return;
    const origin = event.composedPath()[0];
    const target = origin instanceof HTMLElement ? origin : undefined;
    if (target && isTyping(target)) {
      if (this.phase === "correcting") this.onCorrectionTyping(event, target);
      return;
    }
    if (this.onCommandKey(event, target)) event.preventDefault();
  }

  /** In a text box while correcting: Esc leaves the box, Enter (Ctrl+Enter in a multi-line
   * box) sends the correction. */
  private onCorrectionTyping(event: KeyboardEvent, target: HTMLElement): void {
    if (event.key === "Escape") {
      leaveTextBox(this, target, this.active);
    } else if (event.key === "Enter" && (event.ctrlKey || target instanceof HTMLInputElement)) {
      void this.correct();
    } else {
      return;
    }
    event.preventDefault();
  }

  private onCommandKey(event: KeyboardEvent, target: HTMLElement | undefined): boolean {
    if (event.key === "?") return openHelp(this);
    if (this.phase === "correcting" && this.onCorrectionKey(event, target)) return true;
    if (this.querySelector<ItemView>("fl-item-view")?.handleMediaKey(event)) return true;
    if (event.altKey) return false;
    const key = event.key.toLowerCase();
    if (key === "g") return toggleGuidelines(this);
    if (key === "v") return revealNext(this);
    if (this.phase === "expired" && key === "escape") return this.askReturnHandled();
    if (this.phase === "rejecting" && key === "escape") {
      this.cancel();
      return true;
    }
    if (this.phase !== "viewing" || (target && target.closest("a, button, select") && event.key === "Enter")) return false;
    switch (key) {
      case "a":
        void this.accept();
        return true;
      case "r":
        this.startReject();
        return true;
      case "c":
        this.startCorrect();
        return true;
      case "escape":
        return this.askReturnHandled();
      default:
        return false;
    }
  }

  private askReturnHandled(): boolean {
    this.askReturn();
    return true;
  }

  /** While correcting, keys go to the active question's widget first, as when labelling. */
  private onCorrectionKey(event: KeyboardEvent, target: HTMLElement | undefined): boolean {
    if (event.key === "Enter") {
      if (target && target.closest("a, summary, .fl-toolbar button, .fl-reveal")) return false;
      void this.correct();
      return true;
    }
    const result = widgetAt(this, this.active)?.handleKey(event) ?? false;
    if (result === "advance" && this.active < (this.task?.assignment.questions.length ?? 0) - 1) {
      this.active += 1;
      void this.updateComplete.then(() => void focusWidget(this, this.active));
    }
    if (result) return true;
    if (event.key === "Escape") {
      this.cancel();
      return true;
    }
    return false;
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
    const leased = this.leased();
    return html`<div class="fl-toolbar">
      <span class="fl-project">${this.projectName}</span>
      <span class="fl-stage-name">${this.stage}</span>
      ${pseudonymTag(this.pseudonym)} ${leased ? leaseTimer(this.lease?.secondsLeft() ?? 0) : nothing}
      <span class="fl-spacer"></span>
      ${guidelinesButton(this)} ${this.renderActions()}
    </div>`;
  }

  private renderActions(): TemplateResult | typeof nothing {
    if (this.phase === "correcting") {
      return html`<button type="button" @click=${() => this.cancel()}>Cancel <kbd>Esc</kbd></button>
        <button type="button" class="fl-primary fl-send-correction" ?disabled=${this.busy} @click=${() => void this.correct()}>
          ${this.busy ? "Sending…" : "Send correction"} <kbd>Enter</kbd>
        </button>`;
    }
    if (this.phase !== "viewing") return nothing;
    return html`<button type="button" class="fl-return" @click=${() => this.askReturn()}>Return task <kbd>Esc</kbd></button>
      <button type="button" class="fl-correct" @click=${() => this.startCorrect()}>Correct <kbd>C</kbd></button>
      <button type="button" class="fl-reject-start" @click=${() => this.startReject()}>Reject <kbd>R</kbd></button>
      <button type="button" class="fl-primary fl-accept" ?disabled=${this.busy} @click=${() => void this.accept()}>
        ${this.busy ? "Accepting…" : "Accept"} <kbd>A</kbd>
      </button>`;
  }

  private renderBody(): TemplateResult | typeof nothing {
    switch (this.phase) {
      case "loading":
        return html`<p class="fl-hint fl-loading">Getting the next work to review…</p>`;
      case "failed":
        return failedBanner(this.alert);
      case "empty":
        return html`<div class="fl-banner fl-empty" data-reason="complete">
          <h2>Nothing waiting for review</h2>
          <p>No work is waiting at the ${this.stage} stage that you may review (your own work always goes to someone else).</p>
          <p>
            <button type="button" @click=${() => void this.next()}>Check again</button>
            <a href="/">Back to your projects</a>
          </p>
        </div>`;
      default:
        return this.renderTask(this.task!);
    }
  }

  private renderTask(task: ReviewTask): TemplateResult {
    const correcting = this.phase === "correcting";
    const views = task.assignment.questions.map((q, i) =>
      questionSection(task.assignment, i, {
        answers: this.answers,
        active: correcting && i === this.active,
        disabled: !correcting,
        error: this.errors[q.name],
        onActivate: () => (this.active = i),
      }),
    );
    return html`${this.phase === "expired" ? this.renderExpired() : nothing} ${this.renderWork(task)}
      ${this.phase === "rejecting"
        ? html`<fl-reject-form
            .reasons=${task.rejection_reasons}
            .sections=${task.guideline_sections}
            .errors=${this.formErrors}
            ?busy=${this.busy}
          ></fl-reject-form>`
        : nothing}
      ${correcting ? this.renderCorrecting() : nothing}
      <div class="fl-review-task" data-mode=${this.phase}>${taskLayout(task.assignment, views, this.prefetch.state)}</div>`;
  }

  /** Whose work, which version, how long it took, and what earlier stages said of it. */
  private renderWork(task: ReviewTask): TemplateResult {
    const work = task.annotation;
    return html`<section class="fl-banner fl-review-info" aria-label="The work under review">
      <p>
        <strong>Work by <span class="fl-worker">${work.worker}</span></strong>
        <span class="fl-hint">
          · version ${work.version} · ${formatDuration(work.time_spent_ms / 1000)} on task · submitted
          <time datetime=${work.created_at}>${new Date(work.created_at).toLocaleString()}</time>
        </span>
      </p>
      ${task.earlier_verdicts.length
        ? html`<h3>Earlier verdicts</h3>
            <ul class="fl-earlier">
              ${task.earlier_verdicts.map(renderEarlier)}
            </ul>`
        : nothing}
    </section>`;
  }

  private renderCorrecting(): TemplateResult {
    return html`<div class="fl-banner fl-correcting">
      <p><strong>Correcting.</strong> Change the answers below, then press Enter to send them as a new version. Esc cancels.</p>
      <label for="fl-correction-comment">Comment (optional)</label>
      <input
        id="fl-correction-comment"
        type="text"
        maxlength="5000"
        .value=${this.comment}
        @input=${(e: Event) => (this.comment = (e.target as HTMLInputElement).value)}
      />
    </div>`;
  }

  private renderExpired(): TemplateResult {
    return html`<div class="fl-banner fl-expired" role="alert">
      <h2>Your review lease expired</h2>
      <p>The work went back to the review queue, so no verdict can be given from here.</p>
      <p><button type="button" class="fl-primary" @click=${() => void this.next()}>Get the next review</button></p>
    </div>`;
  }
}

function renderEarlier(v: EarlierVerdict): TemplateResult {
  return html`<li data-verdict=${v.verdict}>
    <strong>${v.stage}: ${v.verdict}</strong> by ${v.reviewer}
    ${v.reason_code ? html` · ${v.reason_code}` : nothing} ${v.guideline_ref ? html` · section “${v.guideline_ref}”` : nothing}
    ${v.comment ? html` · “${v.comment}”` : nothing}
  </li>`;
}

customElements.define("fl-review", Review);
