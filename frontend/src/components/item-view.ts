/** The item's fields, each rendered by what it holds: text (always as text, never as HTML),
 * images with zoom and pan, audio and video players, a chat conversation, or candidate
 * responses side by side. */
import { html, LitElement, nothing, type TemplateResult } from "lit";
import { candidateLetter, candidatesOf, isChat, mediaOf } from "../lib/fields";
import type { ChatMessage, Fields, Media } from "../types";
import { mediaPlaceholder } from "./image-view"; // also defines <fl-image-view>

export class ItemView extends LitElement {
  static override properties = {
    fields: { attribute: false },
    omit: { attribute: false },
    failedMedia: { state: true },
  };

  declare fields: Fields;
  /** Fields a question widget shows itself (the text of a span question, a box question's image). */
  declare omit: Set<string>;
  declare failedMedia: Set<string>;

  constructor() {
    super();
    this.fields = {};
    this.omit = new Set();
    this.failedMedia = new Set();
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

  private renderValue(name: string, value: unknown): TemplateResult | typeof nothing {
    const media = mediaOf(value);
    if (media) return this.renderMedia(name, media);
    if (typeof value === "string") return html`<div class="fl-text">${value}</div>`;
    if (isChat(value)) return renderChat(value);
    const candidates = candidatesOf(value);
    if (candidates && candidates.length > 0) {
      return html`<div class="fl-candidates" style="--columns: ${Math.min(candidates.length, 3)}">
        ${candidates.map(
          (c, i) => html`<article class="fl-candidate" data-candidate=${c.id}>
            <h4>${candidateLetter(i)}${c.id !== String(i) ? html` <span class="fl-hint">${c.id}</span>` : nothing}</h4>
            <div class="fl-text">${c.text}</div>
          </article>`,
        )}
      </div>`;
    }
    if (value === null || value === undefined) return html`<p class="fl-hint">(empty)</p>`;
    return html`<pre class="fl-json">${JSON.stringify(value, null, 2)}</pre>`;
  }

  private renderMedia(name: string, media: Media): TemplateResult {
    const type = media.content_type ?? "image/";
    if (this.failedMedia.has(name)) return mediaPlaceholder(media, type.split("/")[0] ?? "file");
    const failed = () => (this.failedMedia = new Set([...this.failedMedia, name]));
    if (type.startsWith("audio/")) return html`<audio controls preload="metadata" src=${media.src} @error=${failed}></audio>`;
    if (type.startsWith("video/")) return html`<video controls preload="metadata" src=${media.src} @error=${failed}></video>`;
    return html`<fl-image-view .media=${media} label=${name}></fl-image-view>`;
  }
}
customElements.define("fl-item-view", ItemView);

function renderChat(messages: ChatMessage[]): TemplateResult {
  return html`<ol class="fl-chat">
    ${messages.map(
      (m) => html`<li class="fl-message" data-role=${m.role}>
        <span class="fl-role">${m.role}</span>
        <div class="fl-text">${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}</div>
      </li>`,
    )}
  </ol>`;
}
