/** <fl-reject-form>: why the work is rejected. A reason from the project's list (number
 * keys pick), the guideline section it breaks (number keys pick; a free reference when the
 * guidelines have no sections) and an optional comment. Enter sends, Esc cancels. Neither
 * the reason nor the section may be left out: the form says so beside the field. */
import { html, LitElement, nothing, type TemplateResult } from "lit";
import { digitIndex } from "../lib/fields";
import type { RejectionReason } from "../types";
import { keyHint } from "../widgets/choices";

export interface Rejection {
  reason_code: string;
  guideline_ref: string;
  comment: string;
}

const MISSING: Record<keyof Rejection, string> = {
  reason_code: "Choose the reason for the rejection.",
  guideline_ref: "Choose the guideline section the work breaks.",
  comment: "",
};

export class RejectForm extends LitElement {
  static override properties = {
    reasons: { attribute: false },
    sections: { attribute: false },
    errors: { attribute: false },
    busy: { type: Boolean },
    value: { state: true },
  };

  declare reasons: RejectionReason[];
  declare sections: string[];
  /** Field-level errors by field name (reason_code, guideline_ref, comment). */
  declare errors: Record<string, string>;
  declare busy: boolean;
  declare value: Rejection;

  constructor() {
    super();
    this.reasons = [];
    this.sections = [];
    this.errors = {};
    this.busy = false;
    this.value = { reason_code: "", guideline_ref: "", comment: "" };
    this.addEventListener("keydown", (e) => this.onKey(e));
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  focusFirst(): void {
    this.querySelector<HTMLElement>("select, input")?.focus();
  }

  override render() {
    return html`<form class="fl-reject" aria-label="Reject this work" novalidate @submit=${this.onSubmit}>
      <h2>Reject this work</h2>
      ${this.field(
        "reason_code",
        "Reason",
        html`<select id="fl-reject-reason_code" data-field="reason_code" aria-describedby=${this.errorRef("reason_code")} .value=${this.value.reason_code} @change=${this.onChange}>
          <option value="">Choose a reason…</option>
          ${this.reasons.map((r, i) => html`<option value=${r.code} ?selected=${r.code === this.value.reason_code}>${numbered(i, r.label)}</option>`)}
        </select>`,
      )}
      ${this.field(
        "guideline_ref",
        "Guideline section",
        this.sections.length
          ? html`<select id="fl-reject-guideline_ref" data-field="guideline_ref" aria-describedby=${this.errorRef("guideline_ref")} .value=${this.value.guideline_ref} @change=${this.onChange}>
              <option value="">Choose a section…</option>
              ${this.sections.map((s, i) => html`<option value=${s} ?selected=${s === this.value.guideline_ref}>${numbered(i, s)}</option>`)}
            </select>`
          : html`<input id="fl-reject-guideline_ref" data-field="guideline_ref" aria-describedby=${this.errorRef("guideline_ref")} type="text" maxlength="200" .value=${this.value.guideline_ref} @input=${this.onChange} />`,
      )}
      ${this.field(
        "comment",
        "Comment (optional)",
        html`<textarea id="fl-reject-comment" data-field="comment" aria-describedby=${this.errorRef("comment")} rows="2" maxlength="5000" .value=${this.value.comment} @input=${this.onChange}></textarea>`,
      )}
      <p class="fl-reject-actions">
        <button type="submit" class="fl-primary" ?disabled=${this.busy}>${this.busy ? "Rejecting…" : "Reject"} <kbd>Enter</kbd></button>
        <button type="button" @click=${this.cancel}>Cancel <kbd>Esc</kbd></button>
        <span class="fl-hint">Number keys pick the reason, then the section. Shift+Enter: a new line in the comment.</span>
      </p>
    </form>`;
  }

  private field(name: keyof Rejection, label: string, control: TemplateResult): TemplateResult {
    const error = this.errors[name];
    return html`<div class="fl-form-field" data-field-row=${name}>
      <label for="fl-reject-${name}">${label}</label>
      ${control}
      ${error ? html`<p class="fl-field-error" id="fl-reject-${name}-error" role="alert">${error}</p>` : nothing}
    </div>`;
  }

  private errorRef(name: keyof Rejection): string | typeof nothing {
    return this.errors[name] ? `fl-reject-${name}-error` : nothing;
  }

  private onChange(event: Event): void {
    const target = event.target as HTMLSelectElement | HTMLInputElement | HTMLTextAreaElement;
    this.set(target.dataset["field"] as keyof Rejection, target.value);
  }

  private set(name: keyof Rejection, value: string): void {
    this.value = { ...this.value, [name]: value };
    if (this.errors[name]) {
      const { [name]: _gone, ...rest } = this.errors;
      this.errors = rest;
    }
  }

  /** Digits on a list pick its n-th entry and move on; Enter sends; Esc cancels. */
  private onKey(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const name = target.dataset["field"] as keyof Rejection | undefined;
    if (event.key === "Escape") {
      this.cancel();
    } else if (event.key === "Enter" && !(event.shiftKey && target instanceof HTMLTextAreaElement)) {
      this.send();
    } else if (target instanceof HTMLSelectElement && name && digitIndex(event) >= 0) {
      const options = name === "reason_code" ? this.reasons.map((r) => r.code) : this.sections;
      const picked = options[digitIndex(event)];
      if (picked === undefined) return;
      this.set(name, picked);
      void this.updateComplete.then(() => this.querySelector<HTMLElement>(name === "reason_code" ? "[data-field=guideline_ref]" : "[data-field=comment]")?.focus());
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  private onSubmit(event: Event): void {
    event.preventDefault();
    this.send();
  }

  private send(): void {
    if (this.busy) return;
    const value = { ...this.value, guideline_ref: this.value.guideline_ref.trim(), comment: this.value.comment.trim() };
    const missing = (["reason_code", "guideline_ref"] as const).filter((name) => !value[name]);
    if (missing.length) {
      this.errors = { ...this.errors, ...Object.fromEntries(missing.map((name) => [name, MISSING[name]])) };
      void this.updateComplete.then(() => this.querySelector<HTMLElement>(`[data-field=${missing[0]}]`)?.focus());
      return;
    }
    this.dispatchEvent(new CustomEvent<Rejection>("fl-reject", { detail: value, bubbles: true }));
  }

  private cancel(): void {
    this.dispatchEvent(new CustomEvent("fl-cancel", { bubbles: true }));
  }
}
customElements.define("fl-reject-form", RejectForm);

function numbered(index: number, text: string): string {
  const key = keyHint(index);
  return key ? `${key} · ${text}` : text;
}
