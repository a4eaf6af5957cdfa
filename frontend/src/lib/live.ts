/** Live candidates from the project's model endpoints, shared by every widget whose question
 * generates them (chat, and pairwise or ranking in live mode): a turn is started with a fetch
 * POST (so that the session's CSRF token goes with it) answered by server-sent events, one
 * `delta` per piece of a candidate's text, then `turn` (stored), `error` (nothing stored, the
 * lease extended) or `stopped`. The server checks every answer against the stored turns, so
 * the page only shows what it was sent.
 *
 * `LiveCandidates` is the single-turn flow of a comparison (generate, stream, regenerate,
 * stop) as a Lit controller; the chat widget keeps its own turns and uses the functions. */
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from "lit";
import type { Question, Shortcut } from "../types";

export interface LiveCandidate {
  id: string;
  endpoint: string;
  model: string;
  text: string;
}

export interface LiveTurn {
  turn: number;
  user: string | null;
  candidates: LiveCandidate[];
}

export type LiveEvent = (name: string, data: Record<string, unknown>) => void;

/** The question's generation API for the assignment the workspace holds. */
export function liveUrl(host: HTMLElement, question: string): string {
  return `/api/assignments/${assignmentOf(host)}/chat/${encodeURIComponent(question)}`;
}

/** The id of the assignment the workspace holds around `host`. */
export function assignmentOf(host: HTMLElement): number {
  return Number(host.closest<HTMLElement>("[data-assignment]")?.dataset["assignment"]);
}

export function csrfToken(host: HTMLElement): string {
  return host.closest<HTMLElement>("[data-csrf-token]")?.dataset["csrfToken"] ?? "";
}

/** The turns already generated (a reload, a draft restored) come back from the server. */
export async function loadTurns(url: string): Promise<LiveTurn[]> {
  const response = await fetch(`${url}/turns`, { credentials: "same-origin", headers: { Accept: "application/json" } });
  return response.ok ? ((await response.json()) as LiveTurn[]) : [];
}

/** Start (or regenerate) a turn and hand on each event as it arrives; the problem to show
 * the worker, or null (an abort is the worker's own stop, not a problem). */
export async function streamTurn(host: HTMLElement, url: string, body: unknown, signal: AbortSignal, onEvent: LiveEvent): Promise<string | null> {
  try {
    const response = await fetch(`${url}/turns`, {
      method: "POST",
      credentials: "same-origin",
      signal,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", "X-CSRF-Token": csrfToken(host) },
      body: JSON.stringify(body),
    });
    if (!response.ok || !response.body) {
      const error = (await response.json().catch(() => null)) as { error?: { message: string; expected?: string } } | null;
      return error?.error ? `${error.error.message}${error.error.expected ? ` (expected ${error.error.expected})` : ""}` : `The server answered ${response.status}.`;
    }
    await readEvents(response.body, onEvent);
    return null;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") return null;
    return "The server could not be reached. Try again (G).";
  }
}

async function readEvents(body: ReadableStream<Uint8Array>, onEvent: LiveEvent): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name && data) onEvent(name, JSON.parse(data) as Record<string, unknown>);
    }
  }
}

/** Ask the server to stop the running generation (it stores nothing). */
export async function stopTurn(host: HTMLElement, url: string): Promise<void> {
  await fetch(`${url}/stop`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(host) },
  }).catch(() => undefined);
}

/** The candidates as the `start` event lists them, with no text yet. */
export function startedCandidates(data: Record<string, unknown>): LiveCandidate[] {
  const listed = data["candidates"] as Omit<LiveCandidate, "text">[];
  return listed.map((c) => ({ ...c, text: "" }));
}

/** A `delta` event's text added to its candidate. */
export function withDelta(candidates: LiveCandidate[], data: Record<string, unknown>): LiveCandidate[] {
  const id = data["candidate"] as string;
  const text = data["text"] as string;
  return candidates.map((c) => (c.id === id ? { ...c, text: c.text + text } : c));
}

/** The `error` event as the worker reads it: what failed, and that nothing was lost. */
export function failureText(data: Record<string, unknown>): string {
  const extended = data["extended_seconds"] as number;
  return `${(data["candidate"] as string | null) ?? "A candidate"} failed: ${data["message"] as string}. Nothing was lost: the lease was extended by ${Math.ceil(extended)} s. Press G to try again, or return the task without penalty.`;
}

/** The panes of a turn being generated: the candidates so far, and those complete. */
export interface Streaming {
  candidates: LiveCandidate[];
  done: Set<string>;
}

/** A `start`, `delta` or `done` event applied to the panes (a new object, for Lit to see);
 * null for the events that end the stream, which `endingProblem` and the widget handle. */
export function streamedPanes<S extends Streaming>(streaming: S, name: string, data: Record<string, unknown>): S | null {
  if (name === "start") return { ...streaming, candidates: startedCandidates(data) };
  if (name === "delta") return { ...streaming, candidates: withDelta(streaming.candidates, data) };
  if (name === "done") return { ...streaming, done: new Set([...streaming.done, data["candidate"] as string]) };
  return null;
}

/** What the worker reads when a stream ends without a stored turn: a failure (nothing lost,
 * the lease extended) or a stop; null for any other event. */
export function endingProblem(name: string, data: Record<string, unknown>): string | null {
  if (name === "error") return failureText(data);
  return name === "stopped" ? "Generation stopped. Press G to generate again." : null;
}

/** The keys `LiveCandidates.handleKey` takes, for the `?` overlay. */
export const liveShortcuts: Shortcut[] = [
  { keys: "G", does: "generate the candidates (again: regenerate; after a failure: retry)" },
  { keys: "Esc", does: "stop a generation" },
];

/** Candidates side by side, labelled by `label`, each with its badge from `marked` once
 * complete (`streaming` null); nothing while there are none. Shared with arena mode. */
export function candidatePanes(
  candidates: { id: string; text: string; endpoint?: string; model?: string }[],
  label: (index: number) => string,
  streaming: Streaming | null,
  marked: (id: string) => string | null,
): TemplateResult | typeof nothing {
  if (!candidates.length) return nothing;
  return html`<div class="fl-chat-panes">
    ${candidates.map((c, i) => {
      const mark = streaming ? null : marked(c.id);
      return html`<article class="fl-chat-pane" data-candidate=${c.id} data-streaming=${streaming ? (streaming.done.has(c.id) ? "done" : "yes") : "no"}>
        <header><strong>${label(i)}</strong> ${c.endpoint ?? ""} <span class="fl-hint">${c.model ?? ""}</span>${mark ? html` <span class="fl-chat-rank">${mark}</span>` : nothing}</header>
        <div class="fl-chat-text" data-text>${c.text}</div>
      </article>`;
    })}
  </div>`;
}

export type Host = ReactiveControllerHost & HTMLElement & { question: Question; disabled: boolean };

/** One generated turn of candidates for a comparison question: loaded on connect, generated
 * on G (again to regenerate), streamed into panes, stopped on Esc. `generated` runs when a new
 * turn is stored, since an answer about the old candidates no longer holds. */
export class LiveCandidates implements ReactiveController {
  turn: LiveTurn | null = null;
  streaming: Streaming | null = null;
  problem: string | null = null;
  private controller: AbortController | null = null;
  private loaded = false;

  constructor(
    private readonly host: Host,
    private readonly generated: () => void,
  ) {
    host.addController(this);
  }

  private get url(): string {
    return liveUrl(this.host, this.host.question.name);
  }

  get candidates(): LiveCandidate[] {
    return this.turn?.candidates ?? [];
  }

  /** What the page showed, sent with the answer for the server to check. */
  get shown(): { id: string; text: string }[] {
    return this.candidates.map((c) => ({ id: c.id, text: c.text }));
  }

  hostConnected(): void {
    if (this.loaded) return;
    this.loaded = true;
    void loadTurns(this.url).then((turns) => {
      this.turn = turns[0] ?? null;
      this.host.requestUpdate();
    });
  }

  hostDisconnected(): void {
    this.controller?.abort();
  }

  async generate(): Promise<void> {
    if (this.streaming || this.host.disabled) return;
    this.problem = null;
    this.streaming = { candidates: [], done: new Set() };
    this.controller = new AbortController();
    this.host.requestUpdate();
    try {
      this.problem = await streamTurn(this.host, this.url, { turn: 0 }, this.controller.signal, (name, data) => this.onEvent(name, data));
    } finally {
      this.streaming = null;
      this.controller = null;
      this.host.requestUpdate();
    }
  }

  private onEvent(name: string, data: Record<string, unknown>): void {
    if (!this.streaming) return;
    const panes = streamedPanes(this.streaming, name, data);
    if (panes) {
      this.streaming = panes;
    } else if (name === "turn") {
      this.turn = { turn: 0, user: null, candidates: data["candidates"] as LiveCandidate[] };
      this.generated();
    } else {
      this.problem = endingProblem(name, data) ?? this.problem;
    }
    this.host.requestUpdate();
  }

  async stop(): Promise<void> {
    if (!this.streaming) return;
    await stopTurn(this.host, this.url);
    this.controller?.abort();
  }

  /** G generates (or regenerates), Esc stops; other keys are the widget's. */
  handleKey(event: KeyboardEvent): boolean {
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    if (event.key.toLowerCase() === "g") {
      void this.generate();
      return true;
    }
    if (event.key === "Escape" && this.streaming) {
      void this.stop();
      return true;
    }
    return false;
  }

  /** The candidates side by side (streaming, or as stored), labelled by `label`, with the
   * generate button and any problem; `marked` gives a pane's badge from the worker's answer. */
  render(label: (index: number) => string, marked: (id: string) => string | null = () => null): TemplateResult {
    const streaming = this.streaming;
    const candidates = streaming?.candidates ?? this.candidates;
    const button = this.turn ? "Regenerate" : "Generate the candidates";
    return html`<div class="fl-live" aria-busy=${streaming ? "true" : "false"}>
      ${candidatePanes(candidates, label, streaming, marked)}
      ${this.problem ? html`<p class="fl-field-error" role="alert" data-live-problem>${this.problem}</p>` : nothing}
      ${streaming
        ? html`<p class="fl-hint">Generating… <kbd>Esc</kbd> stops. Waiting counts as task time.</p>`
        : html`<p><button type="button" data-live-generate ?disabled=${this.host.disabled} @click=${() => void this.generate()}>${button}</button> <span class="fl-hint"><kbd>G</kbd></span></p>`}
    </div>`;
  }
}
