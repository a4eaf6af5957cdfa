/** The next task, leased ahead while one is on screen (`next?exclude=`, which never holds
 * more than two) with its media loaded, so that it shows the moment the one on screen is
 * done. Shared by the labelling and the review workspaces; `T` is what each one shows. */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { Assignment, Fields } from "../types";
import { Api, ApiError } from "./api";
import { LeaseClock } from "./clock";
import { mediaOf } from "./fields";

/** A prefetched lease with less than this left is not worth starting: ask for a fresh one. */
const PREFETCH_MIN_LEFT_S = 30;
/** Images larger than this are only downloaded ahead, not decoded (a decoded 10,000² image
 * takes 400 MB). */
const PRELOAD_DECODE_MAX_PIXELS = 16_000_000;

export class Prefetch<T> implements ReactiveController {
  /** "pending", "none" (nothing more to lease), "failed", or the prefetched assignment's
   * id; the host shows it on the task as data-prefetch. */
  state = "none";
  private ready: { task: T; lease: LeaseClock } | null = null;
  private pending: Promise<void> | null = null;
  /** Elements and requests that hold the prefetched task's media in the browser's cache. */
  private preloads: unknown[] = [];

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly api: () => Api,
    /** The lease of a task. */
    private readonly leaseOf: (task: T) => Assignment,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.preloads = [];
  }

  /** Lease the task after `onScreen` and load its media, unless one is ready or on its way.
   * `shown` says which assignment is on screen when the answer comes. */
  start(onScreen: number, request: () => Promise<T | null>, shown: () => number | undefined): void {
    if (this.ready || this.pending) return;
    this.setState("pending");
    const fetching = request()
      .then((task) => {
        const next = task === null ? null : this.leaseOf(task);
        if (task !== null && next && next.id !== onScreen && next.id !== shown()) {
          this.ready = { task, lease: new LeaseClock(next.seconds_left) };
          preload(next.item.fields, this.preloads);
          this.setState(String(next.id));
        } else {
          this.setState("none");
        }
      })
      .catch(() => this.setState("failed")) // the plain next-task call afterwards still works
      .finally(() => {
        this.pending = null;
      });
    this.pending = fetching;
  }

  /** The prefetched task (once one on its way has come) with its lease's seconds left as of
   * now; null when there is none, it is the one on screen, or too little of its lease is
   * left. Such a lease is given back first (unless it holds a draft), so that a plain
   * next-task call leases a fresh one rather than answering it again. */
  async take(onScreen: number | undefined): Promise<T | null> {
    if (this.pending) await this.pending;
    const held = this.ready;
    this.ready = null;
    this.preloads = [];
    this.setState("none");
    if (!held) return null;
    const lease = this.leaseOf(held.task);
    if (lease.id === onScreen) return null;
    const left = held.lease.secondsLeft();
    if (left > PREFETCH_MIN_LEFT_S) {
      lease.seconds_left = left; // the task is the page's alone from here
      return held.task;
    }
    if (!lease.draft) await this.api().returnAssignment(lease.id).catch(() => undefined);
    return null;
  }

  private setState(state: string): void {
    this.state = state;
    this.host.requestUpdate();
  }
}

/** A lease shown from the prefetch can have ended meanwhile (it expired, or was returned
 * from another tab): its seconds left by the server's word, 0 when it ended, or null when
 * the server could not be asked. */
export async function serverSecondsLeft(api: Api, id: number): Promise<number | null> {
  try {
    const fresh = await api.getAssignment(id);
    return fresh.status === "active" ? fresh.seconds_left : 0;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) return null;
    return 0;
  }
}

/** Load a task's files into the browser's cache, so that they show at once; `held` keeps
 * what holds them there. */
function preload(fields: Fields, held: unknown[]): void {
  for (const value of Object.values(fields)) {
    const media = mediaOf(value);
    if (!media) continue;
    const type = media.content_type ?? "image/";
    if (type.startsWith("audio/")) {
      void import("wavesurfer.js").catch(() => undefined);
      held.push(fetch(media.src, { credentials: "same-origin" }).then((r) => r.blob()).catch(() => undefined));
    } else if (type.startsWith("video/")) {
      const video = document.createElement("video");
      video.muted = true;
      video.preload = "auto";
      video.src = media.src;
      held.push(video);
    } else {
      const image = new Image();
      image.decoding = "async";
      image.src = media.src;
      if ((media.width ?? 0) * (media.height ?? 0) <= PRELOAD_DECODE_MAX_PIXELS) void image.decode().catch(() => undefined);
      held.push(image);
    }
  }
}
