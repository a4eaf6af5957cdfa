/** An image that can be zoomed (wheel, +/-, buttons) and panned (drag, arrows), with a clear
 * placeholder when the file is missing. */
import { html, LitElement, type PropertyValues } from "lit";
import { PanZoom } from "../lib/panzoom";
import type { Media } from "../types";
import { isRevealKey, revealButton, type Revealable } from "./content-notice";

export class ImageView extends LitElement implements Revealable {
  static override properties = {
    media: { attribute: false },
    label: {},
    veiled: { type: Boolean },
    failed: { state: true },
    zoom: { state: true },
    revealed: { state: true },
  };

  declare media: Media;
  declare label: string;
  /** Risky content: blurred and greyscale until the worker reveals it. */
  declare veiled: boolean;
  declare failed: boolean;
  declare zoom: number;
  declare revealed: boolean;
  private panzoom: PanZoom | null = null;

  constructor() {
    super();
    this.label = "image";
    this.veiled = false;
    this.failed = false;
    this.zoom = 1;
    this.revealed = false;
  }

  /** Unblur it; false when there was nothing to reveal. */
  reveal(): boolean {
    if (!this.veiled || this.revealed) return false;
    this.revealed = true;
    return true;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.panzoom?.destroy();
    this.panzoom = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("media")) {
      this.failed = false;
      this.revealed = false;
    }
    this.toggleAttribute("data-veiled", this.veiled && !this.revealed);
  }

  override render() {
    if (this.failed) return mediaPlaceholder(this.media, "image");
    return html`<div class="fl-zoom-controls">
        <button type="button" @click=${() => this.panzoom?.zoomBy(1.25)} aria-label="Zoom in">+</button>
        <button type="button" @click=${() => this.panzoom?.zoomBy(0.8)} aria-label="Zoom out">−</button>
        <button type="button" @click=${() => this.fit()} aria-label="Fit to view">Fit</button>
        <span class="fl-hint">${Math.round(this.zoom * 100)}%</span>
      </div>
      ${this.veiled && !this.revealed ? revealButton("image", () => this.reveal()) : ""}
      <div class="fl-viewport ${this.veiled && !this.revealed ? "fl-veiled" : ""}" tabindex="0" role="img" aria-label=${`${this.label}: drag or use arrows to pan, wheel or +/- to zoom, 0 to fit`} @keydown=${this.onKey}>
        <div class="fl-stage">
          <img src=${this.media.src} alt="" draggable="false" decoding="async" @load=${() => this.fit()} @error=${() => (this.failed = true)} />
        </div>
      </div>`;
  }

  protected override updated(): void {
    const viewport = this.querySelector<HTMLElement>(".fl-viewport");
    const stage = this.querySelector<HTMLElement>(".fl-stage");
    if (!viewport || !stage) {
      this.panzoom?.destroy();
      this.panzoom = null;
    } else if (!this.panzoom) {
      this.panzoom = new PanZoom(viewport, stage, { onChange: (scale) => (this.zoom = scale) });
    }
  }

  private fit(): void {
    const img = this.querySelector("img");
    if (img) this.panzoom?.fit(img.naturalWidth, img.naturalHeight);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === "0") this.fit();
    else if (!(isRevealKey(event) && this.reveal()) && !this.panzoom?.handleKey(event)) return;
    event.preventDefault();
    event.stopPropagation();
  }
}
customElements.define("fl-image-view", ImageView);

export function mediaPlaceholder(media: Media, kind: string): ReturnType<typeof html> {
  return html`<div class="fl-media-missing" role="alert">
    <strong>This ${kind} could not be loaded.</strong>
    <span>${media.name ?? media.src}</span>
    <span>You can return the task without penalty (Esc, then Enter).</span>
  </div>`;
}
