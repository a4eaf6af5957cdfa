/** Before a risky item: a warning with its content categories and support links, and the
 * choice to show it or return it without penalty; after a stretch of risky items, a break
 * screen the worker may dismiss. Support links are on every risky task, also once shown. */
import { html, nothing, type TemplateResult } from "lit";
import type { ContentNotice, SupportResource } from "../types";

export function supportLinks(notice: ContentNotice): TemplateResult {
  return html`<ul class="fl-support">
    ${notice.support.map((s: SupportResource) => html`<li><a href=${s.url} target="_blank" rel="noopener noreferrer">${s.label}</a>${s.phone ? html` · call ${s.phone}` : nothing}</li>`)}
  </ul>`;
}

export function contentWarning(notice: ContentNotice, onShow: () => void, onReturn: () => void): TemplateResult {
  return html`<section class="fl-banner fl-content-warning" role="alertdialog" tabindex="-1" aria-labelledby="fl-warning-title">
    <h2 id="fl-warning-title">Content warning</h2>
    <p>This item may contain:</p>
    <ul class="fl-risks">
      ${notice.categories.map((c) => html`<li data-risk=${c.name}><strong>${c.label}</strong>: ${c.description}</li>`)}
    </ul>
    <p>Images and videos stay blurred until you reveal each one. You can return this task at any time, without penalty.</p>
    <p class="fl-actions">
      <button type="button" class="fl-primary" data-show @click=${onShow}>Show the task <kbd>S</kbd></button>
      <button type="button" class="fl-return-risky" @click=${onReturn}>Return this task <kbd>Esc</kbd></button>
    </p>
    <h3>Support</h3>
    ${supportLinks(notice)}
  </section>`;
}

export function breakScreen(notice: ContentNotice, onContinue: () => void): TemplateResult {
  const seen = Math.max(0, notice.risky_in_a_row - 1);
  return html`<section class="fl-banner fl-break" role="alertdialog" aria-labelledby="fl-break-title">
    <h2 id="fl-break-title">Time for a break?</h2>
    <p>You have worked on ${seen} items with disturbing content in a row. A pause of a few minutes helps: stand up, look away from the screen, breathe.</p>
    <p class="fl-actions">
      <button type="button" class="fl-primary" data-continue @click=${onContinue}>Continue <kbd>Enter</kbd></button>
      <a href="/">Stop for now</a>
    </p>
    <h3>Support</h3>
    ${supportLinks(notice)}
  </section>`;
}

/** A short line under the toolbar of a risky task once shown: its categories and support. */
export function riskStrip(notice: ContentNotice): TemplateResult {
  return html`<details class="fl-risk-strip">
    <summary>Content: ${notice.categories.map((c) => c.label).join(", ")} · support</summary>
    ${supportLinks(notice)}
  </details>`;
}

/** Over a blurred image or video: reveal this one (click, or Enter/Space on the button). */
export function revealButton(kind: string, onReveal: () => void): TemplateResult {
  return html`<button type="button" class="fl-reveal" @click=${onReveal}>Reveal this ${kind} <kbd>V</kbd></button>`;
}

/** An image or video of a risky item (an item field, or the image a question draws on): it
 * carries `data-veiled` while blurred, and `reveal()` unblurs it alone. */
export interface Revealable extends HTMLElement {
  /** Unblur it; false when there was nothing to reveal. */
  reveal(): boolean;
}

/** The V key: reveal the first image or video still blurred anywhere under `root`, in page
 * order; false when none is. */
export function revealNext(root: ParentNode): boolean {
  return root.querySelector<Revealable>("[data-veiled]")?.reveal() ?? false;
}

/** Enter or Space on a blurred image reveals it. */
export function isRevealKey(event: KeyboardEvent): boolean {
  return event.key === "Enter" || event.key === " ";
}
