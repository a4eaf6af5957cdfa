/** The item's fields, each rendered by what it holds: text as safe markdown (raw HTML is
 * shown as text, never run), images with zoom and pan, an audio waveform, a video player
 * with frame steps, a chat conversation as a transcript, or candidate responses side by side.
 *
 * Text that a span question marks is not here: the span widget shows it as plain text,
 * since span offsets count the characters of the raw text. */
import { html, LitElement, nothing, type TemplateResult } from "lit";
import { keyed } from "lit/directives/keyed.js";
import { candidateLetter, candidatesOf, isChat, mediaOf } from "../lib/fields";
import { markdownView as markdown } from "../lib/markdown";
import type { ChatMessage, Fields, Media, Shortcut, ToolCall } from "../types";
import "./audio-view";
import "./image-view";
import { AUDIO_SHORTCUTS, mediaCommand, VIDEO_SHORTCUTS, type MediaPlayer } from "./media-keys";
import { DEFAULT_FPS } from "./video-view";

const PLAYERS = "fl-audio-view, fl-video-view";

export class ItemView extends LitElement {
  static override properties = {
    fields: { attribute: false },
    meta: { attribute: false },
    omit: { attribute: false },
    veiled: { type: Boolean },
  };

  declare fields: Fields;
  declare meta: Record<string, unknown>;
  /** Fields a question widget shows itself (the text of a span question, a box question's image). */
  declare omit: Set<string>;
  /** Risky item: its images and videos start blurred, each revealed on its own. */
  declare veiled: boolean;
  /** The player the worker last used, which the media keys control. */
  private lastPlayer: MediaPlayer | null = null;

  constructor() {
    super();
    this.fields = {};
    this.meta = {};
    this.omit = new Set();
    this.veiled = false;
    this.addEventListener("pointerdown", (e) => this.notePlayer(e.target));
    this.addEventListener("focusin", (e) => this.notePlayer(e.target));
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override render() {
    const shown = Object.entries(this.fields).filter(([name]) => !this.omit.has(name));
    if (shown.length === 0) return nothing;
    return shown.map(
      ([name, value]) => html`<section class="fl-field" data-field=${name} aria-label=${name}>
        <h3 class="fl-field-name">${name}</h3>
        ${this.renderValue(name, value)}
      </section>`,
    );
  }

  /** A media key (see media-keys.ts) for the player last used, else the first one. */
  handleMediaKey(event: KeyboardEvent): boolean {
    const command = mediaCommand(event);
    if (command === null) return false;
    const players = [...this.querySelectorAll<MediaPlayer>(PLAYERS)];
    const player = this.lastPlayer && players.includes(this.lastPlayer) ? this.lastPlayer : players[0];
    return player?.command(command) ?? false;
  }

  shortcuts(): Shortcut[] {
    const audio = this.querySelector(PLAYERS) !== null;
    const video = this.querySelector("fl-video-view") !== null;
    return [...(audio ? AUDIO_SHORTCUTS : []), ...(video ? VIDEO_SHORTCUTS : [])];
  }

  private notePlayer(target: EventTarget | null): void {
    const player = target instanceof Element ? target.closest<MediaPlayer>(PLAYERS) : null;
    if (player) this.lastPlayer = player;
  }

  private renderValue(name: string, value: unknown): TemplateResult | typeof nothing {
    const media = mediaOf(value);
    if (media) return this.renderMedia(name, media);
    if (typeof value === "string") return markdown(value);
    if (isChat(value)) return renderChat(value);
    const candidates = candidatesOf(value);
    if (candidates && candidates.length > 0) {
      return html`<div class="fl-candidates" style="--columns: ${Math.min(candidates.length, 3)}">
        ${candidates.map(
          (c, i) => html`<article class="fl-candidate" data-candidate=${c.id}>
            <h4>${candidateLetter(i)}${c.id !== String(i) ? html` <span class="fl-hint">${c.id}</span>` : nothing}</h4>
            ${markdown(c.text)}
          </article>`,
        )}
      </div>`;
    }
    if (value === null || value === undefined) return html`<p class="fl-hint">(empty)</p>`;
    return html`<pre class="fl-json">${JSON.stringify(value, null, 2)}</pre>`;
  }

  /** Keyed by the file, so that the next item's file gets a fresh player. */
  private renderMedia(name: string, media: Media): TemplateResult {
    const type = media.content_type ?? "image/";
    if (type.startsWith("audio/")) return keyed(media.src, html`<fl-audio-view .media=${media} label=${name}></fl-audio-view>`) as TemplateResult;
    if (type.startsWith("video/")) {
      const fps = Number(this.meta["fps"] ?? (media as Media & { fps?: unknown }).fps ?? DEFAULT_FPS);
      return keyed(
        media.src,
        html`<fl-video-view .media=${media} label=${name} ?veiled=${this.veiled} fps=${Number.isFinite(fps) && fps > 0 ? fps : DEFAULT_FPS}></fl-video-view>`,
      ) as TemplateResult;
    }
    return keyed(media.src, html`<fl-image-view .media=${media} label=${name} ?veiled=${this.veiled}></fl-image-view>`) as TemplateResult;
  }
}
customElements.define("fl-item-view", ItemView);


const ROLE_LABELS: Record<string, string> = { system: "System prompt", user: "User", assistant: "Assistant", tool: "Tool result" };

/** A transcript: each message headed by its role (headings, so that a screen reader steps
 * from message to message), the system prompt folded away until opened, tool calls and
 * their results as code. Every text is the same safe markdown as other item text. */
function renderChat(messages: ChatMessage[]): TemplateResult {
  const callNames = new Map(messages.flatMap((m) => m.tool_calls ?? []).map((c) => [c.id, c.function.name]));
  return html`<ol class="fl-chat" aria-label=${`Conversation, ${messages.length} message${messages.length === 1 ? "" : "s"}`}>
    ${messages.map((m) => renderMessage(m, callNames))}
  </ol>`;
}

function renderMessage(message: ChatMessage, callNames: Map<string, string>): TemplateResult {
  const heading = html`<h4 class="fl-role">${roleLabel(message, callNames)}</h4>`;
  const text = typeof message.content === "string" ? message.content : JSON.stringify(message.content);
  const body = html`${text ? markdown(text) : nothing}${(message.tool_calls ?? []).map(renderToolCall)}${
    message.weight === 0 ? html`<p class="fl-hint">Weight 0: left out of training.</p>` : nothing
  }`;
  if (message.role === "system") {
    return html`<li class="fl-message" data-role="system">
      <details><summary>${heading}</summary>${body}</details>
    </li>`;
  }
  return html`<li class="fl-message" data-role=${message.role}>${heading}${body}</li>`;
}

function roleLabel(message: ChatMessage, callNames: Map<string, string>): string {
  const label = ROLE_LABELS[message.role] ?? message.role;
  const called = message.tool_call_id === undefined ? undefined : callNames.get(message.tool_call_id);
  const name = message.role === "tool" ? (called ?? message.name) : message.name;
  return name ? `${label}: ${name}` : label;
}

/** The call's arguments as indented JSON when they parse, else as they came; bound as text. */
function renderToolCall(call: ToolCall): TemplateResult {
  let args = call.function.arguments;
  try {
    args = JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    // shown as written
  }
  return html`<div class="fl-tool-call" data-call=${call.id}>
    <p class="fl-hint">Calls <code>${call.function.name}</code></p>
    <pre class="fl-code"><code>${args}</code></pre>
  </div>`;
}
