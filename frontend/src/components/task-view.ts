/** What the labelling and the review workspaces show alike: the task (the item with the
 * questions that draw on it, the other questions beside it), one question's section, the
 * lease timer, the worker's pseudonym, the guidelines toggle and the shortcuts overlay. */
import { html, nothing, type TemplateResult } from "lit";
import { describeError, type ApiError } from "../lib/api";
import { isArena } from "../lib/arena";
import { formatDuration } from "../lib/clock";
import { fieldShownByWidget } from "../lib/fields";
import type { History } from "../lib/history";
import type { Answers, Assignment, Question, Shortcut } from "../types";
import type { Widget } from "../widgets/base";
import { isSupported, renderWidget } from "../widgets/registry";
import type { ItemView } from "./item-view";
import "./item-view";

const LEASE_WARNING_S = 120;

/** Item fields that a question widget shows itself, which the item view leaves out. */
export function fieldsShownByWidgets(questions: Question[]): Set<string> {
  return new Set(questions.map(fieldShownByWidget).filter((f): f is string => f !== null));
}

/** The item's fields that a widget shows in its place; an arena task's empty candidates are
 * the models' answers to come, which the pairwise widget shows with the worker's prompt. */
function omittedFields(assignment: Assignment): Set<string> {
  const omitted = fieldsShownByWidgets(assignment.questions);
  if (isArena(assignment.item.fields)) omitted.add("responses");
  return omitted;
}

/** A risky item (one with a content warning): its images and videos start blurred, those of
 * the item view and those a question widget shows alike. */
export function isVeiled(assignment: Assignment): boolean {
  return Boolean(assignment.content?.warning);
}

export interface QuestionState {
  answers: Answers;
  active: boolean;
  disabled: boolean;
  error?: string | undefined;
  /** Shown under the prompt: a suggestion's mark, say. */
  note?: TemplateResult | typeof nothing;
  onActivate: () => void;
}

export function questionSection(assignment: Assignment, index: number, state: QuestionState): TemplateResult {
  const question = assignment.questions[index]!;
  const errorId = `fl-error-${question.name}`;
  return html`<section
    class="fl-question"
    data-question=${question.name}
    data-type=${question.type}
    data-index=${index}
    tabindex="-1"
    ?data-active=${state.active}
    aria-describedby=${state.error ? errorId : nothing}
    @focusin=${state.onActivate}
    @pointerdown=${state.onActivate}
  >
    <h2 class="fl-prompt">
      <span class="fl-qnum" aria-hidden="true">${index + 1}</span>
      ${question.prompt || question.name}
      ${question.required ? nothing : html`<span class="fl-hint">(optional)</span>`}
    </h2>
    ${state.note ?? nothing} ${renderWidget(question, state.answers, assignment.item.fields, state.active, state.disabled, isVeiled(assignment))}
    ${state.error ? html`<p class="fl-field-error" id=${errorId} role="alert">${state.error}</p>` : nothing}
    ${isSupported(question.type) ? nothing : html`<p class="fl-hint">Return this task (Esc) if you cannot answer it.</p>`}
  </section>`;
}

/** The item on the left with the questions that draw on it (spans on its text, shapes on
 * its image); the other questions on the right, or below on a narrow screen. `views` holds
 * one rendered section per question, in order. */
export function taskLayout(assignment: Assignment, views: TemplateResult[], prefetch?: string): TemplateResult {
  const onItem = views.filter((_v, i) => fieldShownByWidget(assignment.questions[i]!) !== null);
  const aside = views.filter((_v, i) => fieldShownByWidget(assignment.questions[i]!) === null);
  return html`<div
    class="fl-task ${aside.length ? "" : "fl-single"}"
    data-assignment=${assignment.id}
    data-item=${assignment.item_id}
    data-prefetch=${prefetch ?? nothing}
  >
    <div class="fl-main">
      <fl-item-view
        class="fl-item"
        .fields=${assignment.item.fields}
        .meta=${assignment.item.meta}
        .omit=${omittedFields(assignment)}
        ?veiled=${isVeiled(assignment)}
      ></fl-item-view>
      ${onItem}
    </div>
    ${aside.length ? html`<div class="fl-questions">${aside}</div>` : nothing}
  </div>`;
}

export function leaseTimer(secondsLeft: number): TemplateResult {
  return html`<span class="fl-lease ${secondsLeft <= LEASE_WARNING_S ? "fl-warn" : ""}" title="Time left on this lease">
    Lease <span role="timer" aria-label="lease time left">${formatDuration(secondsLeft)}</span>
  </span>`;
}

export function pseudonymTag(pseudonym: string): TemplateResult | typeof nothing {
  return pseudonym
    ? html`<span class="fl-hint fl-pseudonym" title="Clients see your work under this name, never your name or email">as ${pseudonym}</span>`
    : nothing;
}

/** The question widget at a position, once rendered. */
export function widgetAt(root: HTMLElement, index: number): Widget<unknown> | null {
  return root.querySelector<Widget<unknown>>(`.fl-question[data-index="${index}"] .fl-widget`);
}

/** Focus a question's input once its widget has rendered, unless the person is busy
 * elsewhere on the page (the guidelines, say). */
export async function focusWidget(root: HTMLElement, index: number): Promise<void> {
  const widget = widgetAt(root, index);
  if (!widget) return;
  await widget.updateComplete;
  const owner = document.activeElement;
  if (owner && owner !== document.body && !root.contains(owner)) return;
  widget.focusInput();
}

/** Show or hide the page's guidelines panel (the element named by data-guidelines). */
export function toggleGuidelines(root: HTMLElement): boolean {
  const panel = document.getElementById(root.dataset["guidelines"] ?? "");
  if (!panel) return false;
  panel.hidden = !panel.hidden;
  root.querySelector(".fl-guidelines-toggle")?.setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) panel.focus();
  return true;
}

export function openHelp(root: HTMLElement): boolean {
  const help = root.querySelector<HTMLDialogElement>("dialog.fl-help");
  if (help && !help.open) help.showModal();
  return true;
}

/** While the overlay is open it has the keyboard: `?` closes it, the dialog handles Esc. */
export function helpHasKeys(root: HTMLElement, event: KeyboardEvent): boolean {
  const help = root.querySelector<HTMLDialogElement>("dialog.fl-help");
  if (!help?.open) return false;
  if (event.key === "?") help.close();
  return true;
}

export function guidelinesButton(root: HTMLElement): TemplateResult {
  return html`<button type="button" class="fl-guidelines-toggle" aria-expanded="false" @click=${() => toggleGuidelines(root)}>
      Guidelines <kbd>G</kbd>
    </button>
    <button type="button" @click=${() => openHelp(root)}>Shortcuts <kbd>?</kbd></button>`;
}

/** The `?` overlay: the page's own shortcuts, then those of the media players and of each
 * question type on screen. */
export function helpDialog(root: HTMLElement, shortcuts: Shortcut[]): TemplateResult {
  const seen = new Set<string>();
  const more: Shortcut[] = [...(root.querySelector<ItemView>("fl-item-view")?.shortcuts() ?? [])];
  for (const widget of root.querySelectorAll<Widget<unknown>>(".fl-widget")) {
    for (const shortcut of widget.shortcuts?.() ?? []) {
      const key = `${widget.question.type}:${shortcut.keys}`;
      if (!seen.has(key)) more.push({ keys: shortcut.keys, does: `${widget.question.type}: ${shortcut.does}` });
      seen.add(key);
    }
  }
  return html`<dialog class="fl-help" aria-labelledby="fl-help-title">
    <h2 id="fl-help-title">Keyboard shortcuts</h2>
    <table>
      ${[...shortcuts, ...more].map((s) => html`<tr><th scope="row"><kbd>${s.keys}</kbd></th><td>${s.does}</td></tr>`)}
    </table>
    <form method="dialog"><button type="submit" class="fl-primary">Close <kbd>Esc</kbd></button></form>
  </dialog>`;
}

/** Shortcuts of both workspaces, for their `?` overlays. */
export const UNDO_SHORTCUT: Shortcut = { keys: "Ctrl+Z / Ctrl+Shift+Z", does: "undo / redo" };
export const REVEAL_SHORTCUT: Shortcut = { keys: "V", does: "reveal the next blurred image or video (or Enter on it)" };

/** Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y (Cmd on a Mac) on the page, caught before any widget library
 * sees them: undo is the page's alone; inside a text box the browser's own undo. `step` undoes
 * or redoes, and says false when the page has nothing to undo in its state (the key goes on). */
export function listenForUndo(signal: AbortSignal, step: (redo: boolean) => boolean): void {
  const onKey = (event: KeyboardEvent): void => {
    const key = event.key.toLowerCase();
    if (!(event.ctrlKey || event.metaKey) || event.altKey || (key !== "z" && key !== "y")) return;
    const target = event.composedPath()[0];
    if (target instanceof HTMLElement && isTyping(target)) return;
    if (!step(key === "y" || event.shiftKey)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  };
  window.addEventListener("keydown", onKey, { signal, capture: true });
}

/** Keep the answers as they were before a change to question `name`: typing (in a text
 * question, or text a widget says was typed) is one step per pause, every other change a
 * step of its own. */
export function recordAnswers(history: History<Answers>, before: Answers, questions: Question[], name: string, typed = false): void {
  const merged = typed || questions.find((q) => q.name === name)?.type === "text";
  history.record(before, merged ? name : null);
}

/** A text box, where keys type rather than command the workspace. */
export function isTyping(target: HTMLElement): boolean {
  if (target instanceof HTMLTextAreaElement || target.isContentEditable) return true;
  return target instanceof HTMLInputElement && !["button", "checkbox", "radio", "submit", "range"].includes(target.type);
}

/** A confirmation bar for returning a task without penalty. */
export function returnConfirm(onReturn: () => void, onKeep: () => void): TemplateResult {
  return html`<div class="fl-confirm" role="alertdialog" aria-label="Return this task?">
    <p>Return this task? It goes back to the queue, without any penalty for you.</p>
    <button type="button" class="fl-primary" data-confirm @click=${onReturn}>Return it <kbd>Enter</kbd></button>
    <button type="button" @click=${onKeep}>Keep working <kbd>Esc</kbd></button>
  </div>`;
}

/** Keys while the return confirmation shows: Enter returns, Esc keeps working. */
export function confirmKey(event: KeyboardEvent, onReturn: () => void, onKeep: () => void): void {
  if (event.key === "Escape") onKeep();
  else if (event.key === "Enter") onReturn();
  else return;
  event.preventDefault();
}

/** Esc in a text box: leave it for the question around it, where the command keys work. */
export function leaveTextBox(root: HTMLElement, target: HTMLElement, index: number): void {
  target.blur();
  root.querySelector<HTMLElement>(`.fl-question[data-index="${index}"]`)?.focus();
}

/** What went wrong, in a sentence, when the page cannot go on. */
export function failureText(error: ApiError): string {
  return error.status === 401 ? SESSION_ENDED : describeError(error.body);
}

const SESSION_ENDED = "Your session ended. Sign in again to continue.";

/** Where to go when the page cannot go on: sign in again, or back home. */
export function failedBanner(alert: string): TemplateResult {
  const signIn = alert === SESSION_ENDED;
  return html`<div class="fl-banner"><a href=${signIn ? "/login" : "/"}>${signIn ? "Sign in" : "Back to your projects"}</a></div>`;
}
