/** A video field: the browser's player (started muted) with play/pause, a frame step back
 * and forward at the item's frame rate (meta `fps`, else 25), and speed from 0.5× to 2×. */
import { html, LitElement } from "lit";
import type { Media } from "../types";
import { revealButton, type Revealable } from "./content-notice";
import { mediaPlaceholder } from "./image-view";
import { formatTime, RATES, stepRate, type MediaCommand, type MediaPlayer } from "./media-keys";

export const DEFAULT_FPS = 25;

export class VideoView extends LitElement implements MediaPlayer, Revealable {
  static override properties = {
    media: { attribute: false },
    label: {},
    fps: { type: Number },
    veiled: { type: Boolean },
    revealed: { state: true },
    failed: { state: true },
    playing: { state: true },
    rate: { state: true },
    time: { state: true },
  };

  declare media: Media;
  declare label: string;
  declare fps: number;
  /** Risky content: blurred and greyscale until the worker reveals it. */
  declare veiled: boolean;
  declare revealed: boolean;
  declare failed: boolean;
  declare playing: boolean;
  declare rate: number;
  declare time: number;

  constructor() {
    super();
    this.label = "video";
    this.fps = DEFAULT_FPS;
    this.veiled = false;
    this.revealed = false;
    this.failed = false;
    this.playing = false;
    this.rate = 1;
    this.time = 0;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  private get video(): HTMLVideoElement | null {
    return this.querySelector("video");
  }

  /** Unblur it; false when there was nothing to reveal. */
  reveal(): boolean {
    if (!this.veiled || this.revealed) return false;
    this.revealed = true;
    return true;
  }

  protected override willUpdate(): void {
    this.toggleAttribute("data-veiled", this.veiled && !this.revealed);
  }

  override render() {
    if (this.failed) return mediaPlaceholder(this.media, "video");
    const veiled = this.veiled && !this.revealed;
    const frame = Math.floor(this.time * this.fps + 1e-6) + 1;
    return html`<div class="fl-media-controls">
        <button type="button" class="fl-play" @click=${() => this.command("toggle")} aria-label=${this.playing ? "Pause" : "Play"}>
          ${this.playing ? "Pause" : "Play"} <kbd>K</kbd>
        </button>
        <button type="button" @click=${() => this.command("frame-back")} aria-label="Previous frame">◀ <kbd>,</kbd></button>
        <button type="button" @click=${() => this.command("frame-forward")} aria-label="Next frame"><kbd>.</kbd> ▶</button>
        <span class="fl-time" aria-label="position">${formatTime(this.time)} · frame <span class="fl-frame">${frame}</span></span>
        <label class="fl-rate">Speed
          <select @change=${(e: Event) => this.setRate(Number((e.target as HTMLSelectElement).value))}>
            ${RATES.map((r) => html`<option value=${r} ?selected=${r === this.rate}>${r}×</option>`)}
          </select>
        </label>
        <span class="fl-hint">${this.fps} fps</span>
      </div>
      ${veiled ? revealButton("video", () => this.reveal()) : ""}
      <video
        class=${veiled ? "fl-veiled" : ""}
        controls
        muted
        playsinline
        preload="metadata"
        .muted=${true}
        src=${this.media.src}
        aria-label=${this.label}
        @error=${() => (this.failed = true)}
        @play=${() => (this.playing = true)}
        @pause=${() => (this.playing = false)}
        @timeupdate=${this.sync}
        @seeked=${this.sync}
        @ratechange=${() => (this.rate = this.video?.playbackRate ?? 1)}
      ></video>`;
  }

  private sync(): void {
    this.time = this.video?.currentTime ?? 0;
  }

  private setRate(rate: number): void {
    this.rate = rate;
    const video = this.video;
    if (video) video.playbackRate = rate;
  }

  command(command: MediaCommand): boolean {
    const video = this.video;
    if (!video || this.failed) return false;
    switch (command) {
      case "toggle":
        if (video.paused) void video.play().catch(() => undefined);
        else video.pause();
        return true;
      case "back":
      case "forward":
        video.currentTime = clampTime(video, video.currentTime + (command === "back" ? -5 : 5));
        return true;
      case "slower":
      case "faster":
        this.setRate(stepRate(this.rate, command === "slower" ? -1 : 1));
        return true;
      case "frame-back":
      case "frame-forward": {
        video.pause();
        // Land in the middle of the target frame, so rounding never shows its neighbour.
        const frame = Math.floor(video.currentTime * this.fps + 1e-6) + (command === "frame-back" ? -1 : 1);
        video.currentTime = clampTime(video, (Math.max(0, frame) + 0.5) / this.fps);
        this.time = video.currentTime;
        return true;
      }
    }
  }
}
customElements.define("fl-video-view", VideoView);

function clampTime(video: HTMLVideoElement, time: number): number {
  const end = Number.isFinite(video.duration) ? video.duration : time;
  return Math.min(end, Math.max(0, time));
}
