/** An audio field: its waveform drawn by wavesurfer.js (imported only when an item has
 * audio, so other tasks never download it), with play/pause, seek by clicking the
 * waveform, speed from 0.5× to 2×, and the keys in media-keys.ts. The regions plugin is
 * registered, for questions that mark audio segments. */
import { html, LitElement, nothing } from "lit";
import type WaveSurfer from "wavesurfer.js";
import type RegionsPlugin from "wavesurfer.js/dist/plugins/regions.js";
import type { Media } from "../types";
import { mediaPlaceholder } from "./image-view";
import { formatTime, RATES, SEEK_S, stepRate, type MediaCommand, type MediaPlayer } from "./media-keys";

type Status = "loading" | "ready" | "failed";

export class AudioView extends LitElement implements MediaPlayer {
  static override properties = {
    media: { attribute: false },
    label: {},
    status: { state: true },
    playing: { state: true },
    rate: { state: true },
    time: { state: true },
    duration: { state: true },
  };

  declare media: Media;
  declare label: string;
  declare status: Status;
  declare playing: boolean;
  declare rate: number;
  declare time: number;
  declare duration: number;
  private wavesurfer: WaveSurfer | null = null;
  /** For audio segment questions: regions drawn on this waveform. */
  regions: RegionsPlugin | null = null;
  private disposed = false;

  constructor() {
    super();
    this.label = "audio";
    this.status = "loading";
    this.playing = false;
    this.rate = 1;
    this.time = 0;
    this.duration = 0;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.disposed = true;
    this.wavesurfer?.destroy();
    this.wavesurfer = null;
  }

  override render() {
    if (this.status === "failed") return mediaPlaceholder(this.media, "audio file");
    const ready = this.status === "ready";
    return html`<div class="fl-media-controls">
        <button type="button" class="fl-play" ?disabled=${!ready} @click=${() => this.command("toggle")} aria-label=${this.playing ? "Pause" : "Play"}>
          ${this.playing ? "Pause" : "Play"} <kbd>K</kbd>
        </button>
        <span class="fl-time" aria-label="position">${formatTime(this.time)} / ${formatTime(this.duration)}</span>
        <label class="fl-rate">Speed
          <select @change=${(e: Event) => this.setRate(Number((e.target as HTMLSelectElement).value))} ?disabled=${!ready}>
            ${RATES.map((r) => html`<option value=${r} ?selected=${r === this.rate}>${r}×</option>`)}
          </select>
        </label>
        <span class="fl-hint">Click the waveform to seek; J/L ±${SEEK_S} s, &lt; &gt; speed.</span>
      </div>
      <div class="fl-waveform" role="group" aria-label=${`${this.label}: waveform, click to seek`}></div>
      ${ready ? nothing : html`<p class="fl-hint fl-loading">Loading the waveform…</p>`}
      <audio class="fl-audio-element" preload="auto" hidden></audio>`;
  }

  protected override firstUpdated(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    const container = this.querySelector<HTMLElement>(".fl-waveform");
    const audio = this.querySelector<HTMLAudioElement>("audio");
    if (!container || !audio) return;
    try {
      const [{ default: WaveSurferClass }, { default: Regions }] = await Promise.all([
        import("wavesurfer.js"),
        import("wavesurfer.js/dist/plugins/regions.js"),
      ]);
      if (this.disposed) return;
      this.regions = Regions.create();
      const ws = WaveSurferClass.create({
        container,
        media: audio,
        height: 96,
        waveColor: "#9aa8c2",
        progressColor: "#2557d6",
        cursorColor: "#1d2330",
        normalize: true,
        dragToSeek: true,
        plugins: [this.regions],
      });
      this.wavesurfer = ws;
      ws.on("ready", (duration) => {
        this.duration = duration;
        this.status = "ready";
      });
      ws.on("timeupdate", (time) => (this.time = time));
      ws.on("play", () => (this.playing = true));
      ws.on("pause", () => (this.playing = false));
      ws.on("finish", () => (this.playing = false));
      ws.on("error", () => this.fail());
      await ws.load(this.media.src);
    } catch {
      this.fail();
    }
  }

  private fail(): void {
    if (this.disposed) return;
    this.wavesurfer?.destroy();
    this.wavesurfer = null;
    this.status = "failed";
  }

  private setRate(rate: number): void {
    this.rate = rate;
    this.wavesurfer?.setPlaybackRate(rate, true);
  }

  command(command: MediaCommand): boolean {
    const ws = this.wavesurfer;
    if (!ws || this.status !== "ready") return false;
    switch (command) {
      case "toggle":
        void ws.playPause().catch(() => undefined);
        return true;
      case "back":
      case "forward":
        ws.setTime(Math.min(this.duration, Math.max(0, ws.getCurrentTime() + (command === "back" ? -SEEK_S : SEEK_S))));
        return true;
      case "slower":
      case "faster":
        this.setRate(stepRate(this.rate, command === "slower" ? -1 : 1));
        return true;
      default:
        return false;
    }
  }
}
customElements.define("fl-audio-view", AudioView);
