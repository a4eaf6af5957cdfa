/** Converts between JavaScript string offsets (UTF-16 code units) and the server's offsets
 * (Python code points). They differ after any character outside the Basic Multilingual Plane,
 * such as an emoji, which takes two UTF-16 units but is one code point. */

const SURROGATES = /[\uD800-\uDFFF]/;

export class OffsetMap {
  /** null when the text has no surrogate pairs: both offsets are then the same. */
  private readonly toPoint: Uint32Array | null;
  private readonly toUnit: Uint32Array | null;
  readonly length16: number;
  readonly lengthPoints: number;

  constructor(text: string) {
    this.length16 = text.length;
    if (!SURROGATES.test(text)) {
      this.toPoint = this.toUnit = null;
      this.lengthPoints = text.length;
      return;
    }
    const toPoint = new Uint32Array(text.length + 1);
    const units: number[] = [];
    let point = 0;
    for (let unit = 0; unit < text.length; point++) {
      units.push(unit);
      const step = isHighSurrogate(text.charCodeAt(unit)) && isLowSurrogate(text.charCodeAt(unit + 1)) ? 2 : 1;
      toPoint[unit] = point;
      if (step === 2) toPoint[unit + 1] = point + 1; // inside a pair: rounds up
      unit += step;
    }
    toPoint[text.length] = point;
    units.push(text.length);
    this.toPoint = toPoint;
    this.toUnit = Uint32Array.from(units);
    this.lengthPoints = point;
  }

  /** UTF-16 offset -> code point offset (an offset inside a pair rounds up). */
  point(unit: number): number {
    return this.toPoint ? this.toPoint[clamp(unit, 0, this.length16)]! : clamp(unit, 0, this.length16);
  }

  /** Code point offset -> UTF-16 offset. */
  unit(point: number): number {
    return this.toUnit ? this.toUnit[clamp(point, 0, this.lengthPoints)]! : clamp(point, 0, this.length16);
  }
}

export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
