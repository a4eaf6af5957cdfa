/** Keys shared by the audio and video players. They are letters and punctuation that no
 * question widget uses (digits pick labels, Enter submits, Esc returns, G opens the
 * guidelines), chosen as in common web players: K plays, J and L seek, < and > change the
 * speed, and for video , and . step one frame. */
import type { Shortcut } from "../types";

export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 2];
export const SEEK_S = 5;

export type MediaCommand = "toggle" | "back" | "forward" | "slower" | "faster" | "frame-back" | "frame-forward";

export function mediaCommand(event: KeyboardEvent): MediaCommand | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  switch (event.key) {
    case "k":
    case "K":
      return "toggle";
    case "j":
    case "J":
      return "back";
    case "l":
    case "L":
      return "forward";
    case "<":
      return "slower";
    case ">":
      return "faster";
    case ",":
      return "frame-back";
    case ".":
      return "frame-forward";
    default:
      return null;
  }
}

/** The next speed in RATES, one step slower or faster, kept within 0.5× … 2×. */
export function stepRate(rate: number, step: 1 | -1): number {
  const index = RATES.findIndex((r) => r >= rate - 1e-9);
  const at = index < 0 ? RATES.length - 1 : index;
  return RATES[Math.min(RATES.length - 1, Math.max(0, at + step))]!;
}

export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${rest.toFixed(2).padStart(5, "0")}`;
}

export const AUDIO_SHORTCUTS: Shortcut[] = [
  { keys: "K", does: "audio/video: play or pause" },
  { keys: "J / L", does: `audio/video: back / forward ${SEEK_S} seconds` },
  { keys: "< / >", does: "audio/video: slower / faster (0.5× to 2×)" },
];

export const VIDEO_SHORTCUTS: Shortcut[] = [{ keys: ", / .", does: "video: one frame back / forward (pauses)" }];

/** What a player element offers the item view, which routes the keys to one of them. */
export interface MediaPlayer extends HTMLElement {
  command(command: MediaCommand): boolean;
}
