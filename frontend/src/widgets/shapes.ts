/** bbox and polygon: labelled shapes on an image, drawn with @annotorious/annotorious (loaded
 * only when an image question is shown, so text tasks never download it).
 *
 * Mouse: drag to draw a box (click point by point for a polygon); click a shape to
 * move or reshape it. Wheel zooms; Space+drag or the middle button pans.
 * Keyboard: N adds a shape in the middle of the view, Tab-like [ and ] pick shapes, arrows move
 * the picked one, Shift+arrows resize it, number keys set its label, Delete removes it.
 *
 * On a risky item the image starts blurred and greyscale, as in the item view, and nothing can
 * be drawn or changed on it until the worker reveals it (its button, Enter or Space on it, V). */
import { html, nothing, type PropertyValues, type TemplateResult } from "lit";
import type { ImageAnnotation, ImageAnnotator } from "@annotorious/annotorious";
import "@annotorious/annotorious/annotorious.css";
import { digitIndex, labelsOf, mediaOf, setting } from "../lib/fields";
import { PanZoom } from "../lib/panzoom";
import type { Media, Shortcut } from "../types";
import { isRevealKey, revealButton, type Revealable } from "../components/content-notice";
import { mediaPlaceholder } from "../components/image-view";
import { Widget, type KeyResult } from "./base";
import { choiceButtons, keyHint } from "./choices";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
}

export interface Outline {
  points: number[][];
  label: string;
}

type Shape = Box | Outline;
type Status = "loading" | "ready" | "failed";

/** Fraction of the image side that one arrow press moves or resizes a shape by. */
const STEP = 0.01;

export class ShapesWidget extends Widget<Shape[]> implements Revealable {
  static override properties = {
    ...Widget.properties,
    current: { state: true },
    picked: { state: true },
    status: { state: true },
    revealed: { state: true },
  };

  declare current: number;
  declare picked: number;
  declare status: Status;
  /** The worker revealed this item's image (a risky item's starts blurred). */
  declare revealed: boolean;

  private annotator: ImageAnnotator | null = null;
  private panzoom: PanZoom | null = null;
  private image: HTMLImageElement | null = null;
  private loadedSrc = "";
  private synced: unknown = undefined;
  /** The annotator's id of each shape, in the order of our answer. */
  private ids: string[] = [];
  private serial = 0;
  private space = false;
  private readonly listeners = new AbortController();

  constructor() {
    super();
    this.current = 0;
    this.picked = -1;
    this.status = "loading";
    this.revealed = false;
  }

  private get polygon(): boolean {
    return this.question.type === "polygon";
  }

  private get media(): Media | null {
    return mediaOf(this.fields[setting(this.question, "field", "image")]);
  }

  private get shapes(): Shape[] {
    return Array.isArray(this.value) ? this.value : [];
  }

  /** Blurred, and closed to drawing, until revealed. */
  private get blurred(): boolean {
    return this.veiled && !this.revealed;
  }

  reveal(): boolean {
    if (!this.blurred) return false;
    this.revealed = true;
    return true;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const signal = this.listeners.signal;
    window.addEventListener("keydown", (e) => e.key === " " && this.contains(document.activeElement) && (this.space = true), { signal });
    window.addEventListener("keyup", (e) => e.key === " " && (this.space = false), { signal });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.listeners.abort();
    this.teardown();
  }

  /** The element stays when the next item comes: each item's image is revealed on its own. */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("fields")) this.revealed = false;
    this.toggleAttribute("data-veiled", this.blurred && this.media !== null && this.status !== "failed");
  }

  override render() {
    const media = this.media;
    if (!media) return html`<p class="fl-field-error">This item has no image in the field “${setting(this.question, "field", "image")}”.</p>`;
    if (this.status === "failed") return mediaPlaceholder(media, "image");
    const labels = labelsOf(this.question);
    const choices = labels.map((label, i) => ({ value: label, text: label, selected: i === this.current, key: keyHint(i) }));
    return html`${choiceButtons(choices, "radio", "Label for new shapes", (l) => this.pickLabel(labels.indexOf(l)), this.disabled)}
      <div class="fl-zoom-controls">
        <button type="button" @click=${() => this.panzoom?.zoomBy(1.25)} aria-label="Zoom in">+</button>
        <button type="button" @click=${() => this.panzoom?.zoomBy(0.8)} aria-label="Zoom out">−</button>
        <button type="button" @click=${() => this.fit()} aria-label="Fit to view">Fit</button>
        <span class="fl-hint">${this.polygon ? "Click each point; click the first point again to close." : "Drag to draw a box."} Space+drag pans, wheel zooms.</span>
      </div>
      ${this.blurred ? revealButton("image", () => this.revealFromButton()) : nothing}
      <div
        class="fl-viewport fl-shapes ${this.blurred ? "fl-veiled" : ""}"
        tabindex="0"
        data-focus-target
        role="application"
        aria-label=${this.blurred
          ? "Image, blurred: Enter, Space or V reveals it; nothing can be drawn before."
          : `Image: ${this.polygon ? "polygons" : "boxes"}. N adds a shape, [ and ] pick one, arrows move it.`}
        @keydown=${this.onViewportKey}
      >
        <div class="fl-stage"></div>
        ${this.status === "loading" ? html`<p class="fl-hint fl-loading">Loading the image tools…</p>` : nothing}
      </div>
      ${this.renderList(labels)}`;
  }

  private renderList(labels: string[]): TemplateResult {
    if (this.shapes.length === 0) return html`<p class="fl-hint">No ${this.polygon ? "polygons" : "boxes"} yet.</p>`;
    return html`<ol class="fl-shape-list" aria-label="Shapes">
      ${this.shapes.map(
        (shape, i) => html`<li ?data-picked=${i === this.picked} data-shape=${i}>
          <button type="button" class="fl-tag" style=${`--mark: var(--fl-label-${labels.indexOf(shape.label) % 10})`} @click=${() => this.pick(i)}>
            ${shape.label}
          </button>
          <span class="fl-hint">${describeShape(shape)}</span>
          <button type="button" class="fl-remove" ?disabled=${this.disabled} aria-label=${`Remove ${shape.label} ${i + 1}`} @click=${() => this.removeAt(i)}>×</button>
        </li>`,
      )}
    </ol>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const src = this.media?.src ?? "";
    if (src && src !== this.loadedSrc && this.status !== "failed") void this.load(src);
    else if (changed.has("value") && this.value !== this.synced) this.sync();
    if (changed.has("disabled") || changed.has("veiled") || changed.has("revealed")) this.annotator?.setDrawingEnabled(this.drawable);
  }

  private get drawable(): boolean {
    return !this.disabled && !this.blurred;
  }

  /** The button goes once clicked: keep the keyboard on the image. */
  private revealFromButton(): void {
    const focused = this.contains(document.activeElement);
    if (this.reveal() && focused) void this.updateComplete.then(() => this.focusInput());
  }

  /** Enter or Space on the blurred image reveals it, before the workspace sees the key. */
  private onViewportKey(event: KeyboardEvent): void {
    if (!this.blurred || !isRevealKey(event) || !this.reveal()) return;
    event.preventDefault();
    event.stopPropagation();
  }

  // --- the image and the annotator --------------------------------------------------------------

  private async load(src: string): Promise<void> {
    this.teardown();
    this.loadedSrc = src;
    this.status = "loading";
    await this.updateComplete;
    const viewport = this.querySelector<HTMLElement>(".fl-viewport");
    const stage = this.querySelector<HTMLElement>(".fl-stage");
    if (!viewport || !stage) return;
    const image = document.createElement("img");
    image.alt = "";
    image.draggable = false;
    const loaded = new Promise<boolean>((resolve) => {
      image.onload = () => resolve(true);
      image.onerror = () => resolve(false);
    });
    image.src = src;
    stage.replaceChildren(image);
    this.image = image;
    this.panzoom = new PanZoom(viewport, stage, { pans: (e) => e.button === 1 || (e.button === 0 && this.space) });
    const [ok, module] = await Promise.all([loaded, import("@annotorious/annotorious")]);
    if (this.loadedSrc !== src) return;
    if (!ok) {
      this.status = "failed";
      return;
    }
    this.fit();
    const annotator = module.createImageAnnotator(image, {
      autoSave: true,
      drawingEnabled: this.drawable,
      // Boxes are dragged corner to corner; outlines are clicked point by point.
      drawingMode: this.polygon ? "click" : "drag",
      style: (annotation) => this.styleOf(annotation.id),
    });
    annotator.setDrawingTool(this.polygon ? "polygon" : "rectangle");
    annotator.on("createAnnotation", (a) => this.fromAnnotator(a, "created"));
    annotator.on("updateAnnotation", (a) => this.fromAnnotator(a, "updated"));
    annotator.on("deleteAnnotation", (a) => this.fromAnnotator(a, "deleted"));
    // Annotorious reports selection changes a tick late, our own setSelected calls included:
    // read the selection as it is now, so a late echo never undoes a keyboard pick made since.
    annotator.on("selectionChanged", () => {
      const selected = annotator.getSelected();
      this.picked = selected.length ? this.ids.indexOf(selected[0]!.id) : -1;
    });
    this.annotator = annotator;
    this.status = "ready";
    this.sync();
  }

  /** Each shape in its label's colour, the picked one drawn heavier. */
  private styleOf(id: string): { fill: `#${string}`; fillOpacity: number; stroke: `#${string}`; strokeWidth: number } {
    const index = this.ids.indexOf(id);
    const label = index >= 0 ? this.shapes[index]?.label : labelsOf(this.question)[this.current];
    const slot = Math.max(0, labelsOf(this.question).indexOf(label ?? "")) % 10;
    const colour = (getComputedStyle(this).getPropertyValue(`--fl-label-${slot}`).trim() || "#2f80ed") as `#${string}`;
    return { fill: colour, fillOpacity: 0.2, stroke: colour, strokeWidth: index === this.picked ? 3 : 2 };
  }

  private teardown(): void {
    this.annotator?.destroy();
    this.annotator = null;
    this.panzoom?.destroy();
    this.panzoom = null;
    this.image = null;
    this.loadedSrc = "";
  }

  private fit(): void {
    if (this.image) this.panzoom?.fit(this.image.naturalWidth, this.image.naturalHeight);
  }

  /** Our value -> the annotator (a draft, undo, or a keyboard edit). Ids stay with their
   * positions, so the annotator keeps its selection; only new positions get new ids. */
  private sync(): void {
    if (!this.annotator) return;
    this.synced = this.value;
    this.ids = this.shapes.map((_, i) => this.ids[i] ?? `shape-${++this.serial}`);
    this.annotator.setAnnotations(this.shapes.map((s, i) => toAnnotation(s, this.ids[i]!)), true);
    const picked = this.ids[this.picked];
    if (picked) this.annotator.setSelected(picked);
  }

  /** The annotator -> our value (the mouse drew or changed a shape). Labels stay ours: a new
   * shape gets the current label, a changed one keeps its own. */
  private fromAnnotator(annotation: ImageAnnotation, change: "created" | "updated" | "deleted"): void {
    if (!this.image) return;
    const size = { width: this.image.naturalWidth, height: this.image.naturalHeight };
    const index = this.ids.indexOf(annotation.id);
    const shapes = [...this.shapes];
    if (change === "deleted") {
      if (index < 0) return;
      shapes.splice(index, 1);
      this.ids.splice(index, 1);
    } else {
      const label = index >= 0 ? shapes[index]!.label : (labelsOf(this.question)[this.current] ?? "");
      const shape = fromAnnotation(annotation, label, size);
      if (!shape) return;
      if (index >= 0) shapes[index] = shape;
      else {
        shapes.push(shape);
        this.ids.push(annotation.id);
        this.picked = shapes.length - 1;
      }
    }
    this.synced = shapes;
    this.emit(shapes);
  }

  // --- picking, labels, keyboard ----------------------------------------------------------------

  private pick(index: number): void {
    this.picked = index;
    const id = this.ids[index];
    if (id) this.annotator?.setSelected(id);
    else this.annotator?.cancelSelected();
  }

  private pickLabel(index: number): void {
    this.current = index;
    const label = labelsOf(this.question)[index];
    if (this.picked >= 0 && label !== undefined) this.replaceAt(this.picked, { ...this.shapes[this.picked]!, label });
  }

  private replaceAt(index: number, shape: Shape): void {
    this.emit(this.shapes.map((s, i) => (i === index ? shape : s)));
  }

  private removeAt(index: number): void {
    this.picked = -1;
    this.annotator?.cancelSelected();
    this.ids.splice(index, 1);
    this.emit(this.shapes.filter((_, i) => i !== index));
  }

  override handleKey(event: KeyboardEvent): KeyResult {
    if (!this.image || this.blurred) return false;
    const digit = digitIndex(event);
    if (digit >= 0) {
      if (digit >= labelsOf(this.question).length) return false;
      this.pickLabel(digit);
      return "handled";
    }
    const key = event.key;
    if (key === "n" || key === "N") return this.addInView();
    if (key === "]" || key === "[") {
      const count = this.shapes.length;
      if (count === 0) return false;
      this.pick(this.picked < 0 ? (key === "]" ? 0 : count - 1) : (this.picked + (key === "]" ? 1 : count - 1)) % count);
      return "handled";
    }
    const shape = this.shapes[this.picked];
    if (!shape) return false;
    if (key === "Delete" || key === "Backspace") {
      this.removeAt(this.picked);
      return "handled";
    }
    if (key === "Escape") {
      this.pick(-1);
      return "handled";
    }
    const arrow = ARROWS[key];
    if (!arrow) return false;
    const size = { width: this.image.naturalWidth, height: this.image.naturalHeight };
    const dx = arrow[0] * Math.max(1, Math.round(size.width * STEP));
    const dy = arrow[1] * Math.max(1, Math.round(size.height * STEP));
    this.replaceAt(this.picked, event.shiftKey ? resized(shape, dx, dy, size) : moved(shape, dx, dy, size));
    return "handled";
  }

  /** A new shape, a fifth of the image's size, in the middle of the image. */
  private addInView(): KeyResult {
    const label = labelsOf(this.question)[this.current];
    if (!this.image || label === undefined) return false;
    const [w, h] = [this.image.naturalWidth, this.image.naturalHeight];
    const [x, y, bw, bh] = [round(w * 0.4), round(h * 0.4), round(w * 0.2), round(h * 0.2)];
    const shape: Shape = this.polygon
      ? { points: [[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]], label }
      : { x, y, width: bw, height: bh, label };
    this.picked = this.shapes.length;
    this.emit([...this.shapes, shape]);
    return "handled";
  }

  override shortcuts(): Shortcut[] {
    return [
      { keys: "N", does: "add a shape in the middle of the image" },
      { keys: "[ / ]", does: "pick the previous / next shape" },
      { keys: "arrows / Shift+arrows", does: "move / resize the picked shape" },
      { keys: "1 … 9, 0", does: "label the picked shape (and new ones)" },
      { keys: "Delete", does: "remove the picked shape" },
      { keys: "+ / − / Space+drag", does: "zoom / pan (image focused)" },
    ];
  }

  override focusInput(): void {
    this.querySelector<HTMLElement>(".fl-viewport")?.focus();
  }
}

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

interface Size {
  width: number;
  height: number;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function clamp(n: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, n));
}

function isBox(shape: Shape): shape is Box {
  return "width" in shape;
}

function moved(shape: Shape, dx: number, dy: number, size: Size): Shape {
  if (isBox(shape)) {
    return { ...shape, x: clamp(shape.x + dx, 0, size.width - shape.width), y: clamp(shape.y + dy, 0, size.height - shape.height) };
  }
  const xs = shape.points.map((p) => p[0]!);
  const ys = shape.points.map((p) => p[1]!);
  const mx = clamp(dx, -Math.min(...xs), size.width - Math.max(...xs));
  const my = clamp(dy, -Math.min(...ys), size.height - Math.max(...ys));
  return { ...shape, points: shape.points.map(([x, y]) => [round(x! + mx), round(y! + my)]) };
}

function resized(shape: Shape, dx: number, dy: number, size: Size): Shape {
  if (isBox(shape)) {
    return {
      ...shape,
      width: clamp(shape.width + dx, 1, size.width - shape.x),
      height: clamp(shape.height + dy, 1, size.height - shape.y),
    };
  }
  // Scale a polygon about its top-left corner.
  const xs = shape.points.map((p) => p[0]!);
  const ys = shape.points.map((p) => p[1]!);
  const [left, top] = [Math.min(...xs), Math.min(...ys)];
  const [w, h] = [Math.max(...xs) - left || 1, Math.max(...ys) - top || 1];
  const sx = clamp(w + dx, 1, size.width - left) / w;
  const sy = clamp(h + dy, 1, size.height - top) / h;
  return { ...shape, points: shape.points.map(([x, y]) => [round(left + (x! - left) * sx), round(top + (y! - top) * sy)]) };
}

function describeShape(shape: Shape): string {
  if (isBox(shape)) return `${Math.round(shape.x)}, ${Math.round(shape.y)} · ${Math.round(shape.width)}×${Math.round(shape.height)}`;
  return `${shape.points.length} points`;
}

function toAnnotation(shape: Shape, id: string): ImageAnnotation {
  const body = { id: `${id}-label`, annotation: id, purpose: "tagging", value: shape.label };
  if (isBox(shape)) {
    const bounds = { minX: shape.x, minY: shape.y, maxX: shape.x + shape.width, maxY: shape.y + shape.height };
    return {
      id,
      bodies: [body],
      target: { annotation: id, selector: { type: "RECTANGLE", geometry: { x: shape.x, y: shape.y, w: shape.width, h: shape.height, bounds } } },
    } as unknown as ImageAnnotation;
  }
  const xs = shape.points.map((p) => p[0]!);
  const ys = shape.points.map((p) => p[1]!);
  const bounds = { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
  return {
    id,
    bodies: [body],
    target: { annotation: id, selector: { type: "POLYGON", geometry: { points: shape.points, bounds } } },
  } as unknown as ImageAnnotation;
}

/** An annotation as our answer: pixels clamped inside the image, rounded to 1/100 px. */
function fromAnnotation(annotation: ImageAnnotation, label: string, size: Size): Shape | null {
  const selector = annotation.target.selector as unknown as { type: string; geometry: Record<string, unknown> };
  const geometry = selector.geometry;
  const bounds = geometry["bounds"] as { minX: number; minY: number; maxX: number; maxY: number };
  if (selector.type === "POLYGON") {
    const points = (geometry["points"] as number[][]).map(([x, y]) => [round(clamp(x!, 0, size.width)), round(clamp(y!, 0, size.height))]);
    return points.length >= 3 ? { points, label } : null;
  }
  // Rotated rectangles are not boxes: take their axis-aligned bounds.
  const x = round(clamp(bounds.minX, 0, size.width));
  const y = round(clamp(bounds.minY, 0, size.height));
  const width = round(clamp(bounds.maxX, 0, size.width) - x);
  const height = round(clamp(bounds.maxY, 0, size.height) - y);
  return width > 0 && height > 0 ? { x, y, width, height, label } : null;
}

customElements.define("fl-shapes-widget", ShapesWidget);
