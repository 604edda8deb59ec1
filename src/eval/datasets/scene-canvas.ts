/**
 * The rasteriser of the synthetic scenes: an RGB image, a label map and a z-buffer on typed arrays.
 * Every fill tests depth per pixel, so the painter's order does not matter and labels and depth stay
 * exact where shapes overlap. Coordinates are in pixels; pixel (x, y) is covered when its centre
 * (x + 0.5, y + 0.5) is inside the shape.
 */
export class SceneCanvas {
  readonly width: number;
  readonly height: number;
  /** RGB, row-major, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
  /** Train id per pixel. */
  readonly labels: Uint8Array;
  /** Metric z-depth per pixel; Infinity where nothing was drawn (sky). */
  readonly depth: Float32Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.rgb = new Uint8Array(width * height * 3);
    this.labels = new Uint8Array(width * height);
    this.depth = new Float32Array(width * height).fill(Infinity);
  }

  /** Sets one pixel if `z` is nearer than what it holds. */
  plot(x: number, y: number, z: number, label: number, r: number, g: number, b: number): void {
    const i = y * this.width + x;
    if (z >= this.depth[i]!) return;
    this.depth[i] = z;
    this.labels[i] = label;
    const j = i * 3;
    this.rgb[j] = r;
    this.rgb[j + 1] = g;
    this.rgb[j + 2] = b;
  }

  /** Fills the axis-aligned rectangle [u0, u1) × [v0, v1) at depth z. */
  fillRect(u0: number, v0: number, u1: number, v1: number, z: number, label: number, r: number, g: number, b: number): void {
    const y0 = Math.max(0, Math.ceil(v0 - 0.5));
    const y1 = Math.min(this.height, Math.ceil(v1 - 0.5));
    for (let y = y0; y < y1; y++) this.fillRow(y, u0, u1, z, label, r, g, b);
  }

  /** Fills a trapezoid between rows v0 and v1 whose left and right edges run linearly from (l0, r0) at v0 to (l1, r1) at v1. */
  fillTrapezoid(v0: number, v1: number, l0: number, r0: number, l1: number, r1: number, z: number, label: number, r: number, g: number, b: number): void {
    const y0 = Math.max(0, Math.ceil(v0 - 0.5));
    const y1 = Math.min(this.height, Math.ceil(v1 - 0.5));
    const span = v1 - v0;
    if (span <= 0) return;
    for (let y = y0; y < y1; y++) {
      const t = (y + 0.5 - v0) / span;
      const ul = l0 + (l1 - l0) * t;
      const ur = r0 + (r1 - r0) * t;
      this.fillRow(y, ul, ur, z, label, r, g, b);
    }
  }

  /** Fills the ellipse with centre (cu, cv) and radii (ru, rv). */
  fillEllipse(cu: number, cv: number, ru: number, rv: number, z: number, label: number, r: number, g: number, b: number): void {
    if (ru <= 0 || rv <= 0) return;
    const y0 = Math.max(0, Math.ceil(cv - rv - 0.5));
    const y1 = Math.min(this.height, Math.ceil(cv + rv - 0.5));
    for (let y = y0; y < y1; y++) {
      const dy = (y + 0.5 - cv) / rv;
      const half = ru * Math.sqrt(Math.max(0, 1 - dy * dy));
      this.fillRow(y, cu - half, cu + half, z, label, r, g, b);
    }
  }

  /** Fills row y over [ul, ur). */
  fillRow(y: number, ul: number, ur: number, z: number, label: number, r: number, g: number, b: number): void {
    const x0 = Math.max(0, Math.ceil(ul - 0.5));
    const x1 = Math.min(this.width, Math.ceil(ur - 0.5));
    const { depth, labels, rgb } = this;
    let i = y * this.width + x0;
    for (let x = x0; x < x1; x++, i++) {
      if (z >= depth[i]!) continue;
      depth[i] = z;
      labels[i] = label;
      const j = i * 3;
      rgb[j] = r;
      rgb[j + 1] = g;
      rgb[j + 2] = b;
    }
  }
}
