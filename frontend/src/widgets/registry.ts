/** One widget element per question type: the type name -> the custom element's tag. */
import { html, unsafeStatic, type StaticValue } from "lit/static-html.js";
import type { TemplateResult } from "lit";
import type { Answers, Fields, Question } from "../types";
import "./label";
import "./multi-label";
import "./rating";
import "./text";
import "./span";
import "./shapes";
import "./ranking";
import "./pairwise";
import "./rubric";
import "./rewrite";
import "./chat";
import "./prompt";

const TAGS: Record<string, StaticValue> = {
  label: unsafeStatic("fl-label-widget"),
  multi_label: unsafeStatic("fl-multi-label-widget"),
  rating: unsafeStatic("fl-rating-widget"),
  text: unsafeStatic("fl-text-widget"),
  span: unsafeStatic("fl-span-widget"),
  bbox: unsafeStatic("fl-shapes-widget"),
  polygon: unsafeStatic("fl-shapes-widget"),
  ranking: unsafeStatic("fl-ranking-widget"),
  pairwise: unsafeStatic("fl-pairwise-widget"),
  rubric: unsafeStatic("fl-rubric-widget"),
  rewrite: unsafeStatic("fl-rewrite-widget"),
  chat: unsafeStatic("fl-chat-widget"),
  prompt: unsafeStatic("fl-prompt-widget"),
};

export function isSupported(type: string): boolean {
  return type in TAGS;
}

export function renderWidget(
  question: Question,
  answers: Answers,
  fields: Fields,
  active: boolean,
  disabled: boolean,
  veiled: boolean,
): TemplateResult {
  const tag = TAGS[question.type];
  if (!tag) {
    return html`<p class="fl-field-error">This question type (${question.type}) cannot be answered in the browser yet.</p>`;
  }
  return html`<${tag}
    class="fl-widget"
    data-widget=${question.name}
    .question=${question}
    .value=${answers[question.name]}
    .fields=${fields}
    ?active=${active}
    ?disabled=${disabled}
    ?veiled=${veiled}
  ></${tag}>`;
}
