/** Reading item fields and question settings, which arrive as loosely typed JSON. */
import type { Answers, Candidate, ChatMessage, Media, Question } from "../types";

export function setting<T>(question: Question, key: string, fallback: T): T {
  const value = question.settings[key];
  return value === undefined || value === null ? fallback : (value as T);
}

export function labelsOf(question: Question): string[] {
  const labels = question.settings["labels"];
  return Array.isArray(labels) ? labels.map(String) : [];
}

export function isMedia(value: unknown): value is Media {
  return typeof value === "object" && value !== null && typeof (value as Media).src === "string";
}

const MEDIA_URL = /^(?:https?:\/\/|\/)[^\s]+\.([a-z0-9]+)$/i;
const URL_TYPES: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  flac: "audio/flac",
  ogg: "audio/ogg",
  m4a: "audio/mp4",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  ogv: "video/ogg",
};

/** The importer stores media as objects; a bare URL string is accepted too. */
export function mediaOf(value: unknown): Media | null {
  if (isMedia(value)) return value;
  const extension = typeof value === "string" ? MEDIA_URL.exec(value)?.[1]?.toLowerCase() : undefined;
  if (extension === undefined) return null;
  if (/^(png|jpe?g|gif|webp|bmp|svg)$/.test(extension)) return { src: value as string };
  const contentType = URL_TYPES[extension];
  return contentType ? { src: value as string, content_type: contentType } : null;
}

export function isChat(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m) => typeof m === "object" && m !== null && "role" in m && "content" in m)
  );
}

/** Ids follow the server: an object's string "id", else the position in the list. */
export function candidatesOf(value: unknown): Candidate[] | null {
  if (!Array.isArray(value)) return null;
  return value.map((entry: unknown, index) => {
    if (typeof entry === "string") return { id: String(index), text: entry };
    const record = (entry ?? {}) as Record<string, unknown>;
    const id = typeof record["id"] === "string" ? record["id"] : String(index);
    const text = record["text"] ?? record["content"] ?? record["response"] ?? JSON.stringify(entry);
    return { id, text: String(text) };
  });
}

/** A..Z for the first candidates: what workers say ("A is better"). */
export function candidateLetter(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : String(index + 1);
}

/** "answers.entities[0].label" -> "entities": which question a server error is about. */
export function questionOfErrorField(field: string | null | undefined): string | null {
  const match = /^answers\.([^.[]+)/.exec(field ?? "");
  return match ? match[1]! : null;
}

/** The item field each question type draws on, which that question's widget shows itself. */
export function fieldShownByWidget(question: Question): string | null {
  switch (question.type) {
    case "span":
      return setting(question, "field", "text");
    case "bbox":
    case "polygon":
      return setting(question, "field", "image");
    case "prompt":
      return setting(question, "brief_field", "brief");
    default:
      return null;
  }
}

/** An empty list is an answer ("no entities", "none of these"); nothing or "" is not. */
export function isAnswered(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** The answers with one question's answer set, or left out when it is no answer. */
export function withAnswer(answers: Answers, name: string, value: unknown): Answers {
  const { [name]: _old, ...rest } = answers;
  return isAnswered(value) ? { ...rest, [name]: value } : rest;
}

/** The digit a key press means, read from the physical key so that layouts needing Shift
 * for digits (AZERTY) work too; null for other keys or with Ctrl, Alt or Meta held. */
export function digitOf(event: KeyboardEvent): number | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const digit = /^(?:Digit|Numpad)(\d)$/.exec(event.code)?.[1] ?? (/^\d$/.test(event.key) ? event.key : null);
  return digit === null ? null : Number(digit);
}

/** Digit keys 1-9 and 0 (tenth) as a 0-based choice index, or -1. */
export function digitIndex(event: KeyboardEvent): number {
  const digit = digitOf(event);
  if (digit === null) return -1;
  return digit === 0 ? 9 : digit - 1;
}
