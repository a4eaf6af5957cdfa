/** Zoom and pan of one element inside a viewport with a CSS transform, so that even a very
 * large image stays one GPU layer and moving it costs no layout. */

const MIN_SCALE = 0.02;
const MAX_SCALE = 32;
const KEY_STEP = 1.25;
const PAN_STEP = 60;

export interface PanZoomOptions {
  /** Whether a pointer press starts a pan (the shapes widget pans only with Space or the middle button). */
  pans?: (event: PointerEvent) => boolean;
  onChange?: (scale: number) => void;
}

export class PanZoom {
  scale = 1;
  private x = 0;
  private y = 0;
  private drag: { id: number; x: number; y: number } | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly viewport: HTMLElement,
    private readonly stage: HTMLElement,
    private readonly options: PanZoomOptions = {},
  ) {
    const signal = this.abort.signal;
    stage.style.transformOrigin = "0 0";
    viewport.addEventListener("wheel", (e) => this.onWheel(e), { passive: false, signal });
    viewport.addEventListener("pointerdown", (e) => this.onDown(e), { signal });
    viewport.addEventListener("pointermove", (e) => this.onMove(e), { signal });
    viewport.addEventListener("pointerup", (e) => this.onUp(e), { signal });
    viewport.addEventListener("pointercancel", (e) => this.onUp(e), { signal });
  }

  destroy(): void {
    this.abort.abort();
  }

  /** Show the whole content, centred, never enlarged past its natural size. */
  fit(width: number, height: number): void {
    const box = this.viewport.getBoundingClientRect();
    if (!width || !height || !box.width || !box.height) return;
    this.scale = Math.min(1, box.width / width, box.height / height);
    this.x = (box.width - width * this.scale) / 2;
    this.y = (box.height - height * this.scale) / 2;
    this.apply();
  }

  zoomBy(factor: number, clientX?: number, clientY?: number): void {
    const box = this.viewport.getBoundingClientRect();
    const cx = (clientX ?? box.left + box.width / 2) - box.left;
    const cy = (clientY ?? box.top + box.height / 2) - box.top;
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const ratio = next / this.scale;
    this.x = cx - (cx - this.x) * ratio;
    this.y = cy - (cy - this.y) * ratio;
    this.scale = next;
    this.apply();
  }

  panBy(dx: number, dy: number): void {
    this.x += dx;
    this.y += dy;
    this.apply();
  }

  /** +, - and arrows while the viewport has focus; 0 is left to the caller (it knows the size). */
  handleKey(event: KeyboardEvent): boolean {
    const pan: Record<string, [number, number]> = {
      ArrowLeft: [PAN_STEP, 0],
      ArrowRight: [-PAN_STEP, 0],
      ArrowUp: [0, PAN_STEP],
      ArrowDown: [0, -PAN_STEP],
    };
    if (event.key === "+" || event.key === "=") this.zoomBy(KEY_STEP);
    else if (event.key === "-" || event.key === "_") this.zoomBy(1 / KEY_STEP);
    else if (event.key in pan) this.panBy(...pan[event.key]!);
    else return false;
    return true;
  }

  private apply(): void {
    this.stage.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
    this.options.onChange?.(this.scale);
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    this.zoomBy(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015)), event.clientX, event.clientY);
  }

  private onDown(event: PointerEvent): void {
    const pans = this.options.pans ?? ((e: PointerEvent) => e.button === 0 || e.button === 1);
    if (!pans(event)) return;
    event.preventDefault();
    this.drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
    this.viewport.setPointerCapture(event.pointerId);
    this.viewport.classList.add("fl-panning");
  }

  private onMove(event: PointerEvent): void {
    if (this.drag?.id !== event.pointerId) return;
    this.panBy(event.clientX - this.drag.x, event.clientY - this.drag.y);
    this.drag.x = event.clientX;
    this.drag.y = event.clientY;
  }

  private onUp(event: PointerEvent): void {
    if (this.drag?.id !== event.pointerId) return;
    this.drag = null;
    this.viewport.classList.remove("fl-panning");
  }
}
