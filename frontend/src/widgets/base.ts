/** What every question widget shares: its inputs, the event it sends, and keyboard hooks.
 *
 * Widgets render into the light DOM (no shadow root): text selection for spans, the image
 * annotation library and assistive technology all work on ordinary document nodes, and one
 * stylesheet (workspace.css) styles the whole workspace. */
import { LitElement } from "lit";
import type { Fields, Question, Shortcut } from "../types";

/** What a widget did with a key: nothing, handled it, or handled it and the worker can move on. */
export type KeyResult = false | "handled" | "advance";

export interface AnswerDetail {
  name: string;
  value: unknown;
  /** Typed text: the workspace merges it into one undo step per pause. */
  typed?: boolean;
}

export abstract class Widget<V> extends LitElement {
  static override properties = {
    question: { attribute: false },
    value: { attribute: false },
    fields: { attribute: false },
    active: { type: Boolean, reflect: true },
    disabled: { type: Boolean, reflect: true },
    veiled: { type: Boolean },
  };

  declare question: Question;
  declare value: V | undefined;
  declare fields: Fields;
  declare active: boolean;
  declare disabled: boolean;
  /** Risky item: an image the widget shows starts blurred, as in the item view. */
  declare veiled: boolean;

  constructor() {
    super();
    this.active = false;
    this.disabled = false;
    this.veiled = false;
    this.fields = {};
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Tell the workspace about a new answer; it keeps the answers, history and autosave. */
  protected emit(value: V | undefined, typed = false): void {
    if (this.disabled) return;
    const detail: AnswerDetail = { name: this.question.name, value, typed };
    this.dispatchEvent(new CustomEvent<AnswerDetail>("fl-answer", { detail, bubbles: true }));
  }

  /** Keys the workspace passes on while this question is the active one. */
  handleKey(_event: KeyboardEvent): KeyResult {
    return false;
  }

  /** Shortcuts listed in the `?` overlay for this question type. */
  shortcuts(): Shortcut[] {
    return [];
  }

  /** Put keyboard focus where typing for this question goes. */
  focusInput(): void {
    const target =
      this.querySelector<HTMLElement>("[data-focus-target]") ??
      this.querySelector<HTMLElement>(".fl-choice[tabindex='0']") ??
      this.querySelector<HTMLElement>("button, input, textarea, [tabindex]");
    target?.focus();
  }
}
