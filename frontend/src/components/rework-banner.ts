/** The banner over a rework assignment: why the work came back, the guideline section it
 * cites (linked to the guidelines page) and the reviewer's comment. The rework is paid. */
import { html, nothing, type TemplateResult } from "lit";
import type { ReworkFeedback } from "../types";

export function reworkBanner(feedback: ReworkFeedback, projectId: number): TemplateResult {
  return html`<section class="fl-banner fl-rework" role="note" aria-labelledby="fl-rework-title">
    <h2 id="fl-rework-title">Sent back for rework</h2>
    <dl>
      ${feedback.reason || feedback.reason_code
        ? html`<dt>Reason</dt>
            <dd class="fl-rework-reason">${feedback.reason ?? feedback.reason_code}</dd>`
        : nothing}
      ${feedback.guideline_ref
        ? html`<dt>Guideline section</dt>
            <dd class="fl-rework-section">
              <a href="/projects/${projectId}/guidelines" target="_blank" rel="noopener">${feedback.guideline_ref}</a>
            </dd>`
        : nothing}
      ${feedback.comment
        ? html`<dt>Reviewer's comment</dt>
            <dd class="fl-rework-comment">${feedback.comment}</dd>`
        : nothing}
    </dl>
    <p class="fl-hint">Your earlier answers are filled in below: change what the review points to, then submit. Rework is paid.</p>
  </section>`;
}
