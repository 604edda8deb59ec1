import { createRng, type Rng } from '../../util/random.js';
import { TandemError } from '../../util/errors.js';
import { IGNORE_INDEX, TRAIN_ID as T } from './cityscapes-classes.js';
import { SceneCanvas } from './scene-canvas.js';
import type { FrameDataset, LabeledFrame } from './types.js';

/**
 * A procedural street scene seen from a car, with exact ground truth: a pinhole camera at driver height
 * looks down a (possibly curving) road with lanes, sidewalks, facades with windows, walls, fences,
 * hedges, trees, poles with signs and traffic lights, cars, trucks, buses, cyclists and pedestrians at
 * varied depths, a skyline at the end of the street, sky with clouds; then haze, lighting, noise and
 * blur on the image only. Labels are Cityscapes train ids (255 where the ego vehicle's bonnet is);
 * depth is the z-depth in metres of what each pixel sees (0 for sky and bonnet).
 */

/** The furthest depth the generator draws (the skyline at the end of the street is nearer). */
export const SCENE_MAX_DEPTH = 120;

const COLOURS = {
  car: [[230, 230, 230], [30, 30, 35], [120, 120, 125], [170, 172, 178], [150, 20, 25], [25, 45, 120], [30, 70, 45], [200, 160, 40]],
  facade: [[180, 160, 140], [150, 140, 130], [200, 190, 170], [120, 90, 70], [170, 120, 100], [210, 210, 205], [100, 100, 110]],
  clothes: [[40, 40, 60], [150, 30, 30], [30, 90, 160], [200, 200, 200], [60, 60, 60], [180, 140, 60], [20, 100, 60]],
} as const;

type Rgb = readonly [number, number, number];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length)]!;
}

function jitter(rng: Rng, c: Rgb, amount: number): Rgb {
  const k = rng.uniform(1 - amount, 1 + amount);
  return [clamp255(c[0] * k + rng.uniform(-8, 8)), clamp255(c[1] * k + rng.uniform(-8, 8)), clamp255(c[2] * k + rng.uniform(-8, 8))];
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** The per-frame seed: frames are independent, so frame i of seed s is the same whichever frames come before it. */
export function frameSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca6b) ^ 0x27d4eb2f) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) >>> 0;
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}

interface Camera {
  readonly f: number;
  readonly cx: number;
  readonly cy: number;
  /** Camera height above the ground, metres. */
  readonly h: number;
}

/** The street: road centre X(Z) = offset + curve·Z², half width, lanes, sidewalks. */
interface Street {
  readonly offset: number;
  readonly curve: number;
  readonly halfWidth: number;
  readonly laneWidth: number;
  readonly sidewalk: readonly [number, number];
  readonly far: number;
}

type BlockKind = 'building' | 'wall' | 'fence' | 'hedge' | 'open';

interface Block {
  readonly kind: BlockKind;
  readonly z0: number;
  readonly z1: number;
  /** Distance of the block's face from the road centre. */
  readonly setback: number;
  readonly height: number;
  readonly colour: Rgb;
  readonly accent: Rgb;
  readonly period: number;
}

/** Renders frame `index` of `seed` at width x height. Deterministic: same arguments, same bytes. */
export function renderScene(seed: number, index: number, width: number, height: number): LabeledFrame {
  checkSize(width, height);
  const rng = createRng(frameSeed(seed, index));
  const canvas = new SceneCanvas(width, height);
  const cam: Camera = { f: width * rng.uniform(0.5, 0.8), cx: width * rng.uniform(0.46, 0.54), cy: height * rng.uniform(0.36, 0.5), h: rng.uniform(1.2, 1.8) };
  const halfWidth = rng.uniform(3.5, 8);
  const street: Street = {
    halfWidth,
    offset: rng.uniform(-0.6, 0.6) * halfWidth,
    curve: rng.uniform(-1, 1) * rng.uniform(0, 0.004),
    laneWidth: rng.uniform(2.9, 3.6),
    sidewalk: [rng.uniform(1.5, 4.5), rng.uniform(1.5, 4.5)],
    far: rng.uniform(45, 110),
  };
  const light = { gain: rng.uniform(0.6, 1.25), tint: [rng.uniform(0.9, 1.1), rng.uniform(0.92, 1.08), rng.uniform(0.88, 1.12)] as const };
  const haze: Rgb = jitter(rng, [190, 200, 210], 0.1);
  const fogDistance = rng.uniform(80, 400);

  drawGround(canvas, cam, street, rng);
  for (const side of [-1, 1] as const) drawSide(canvas, cam, street, side, rng);
  drawSkyline(canvas, cam, street, rng);
  drawStreetFurniture(canvas, cam, street, rng);
  drawTraffic(canvas, cam, street, rng);
  drawPedestrians(canvas, cam, street, rng);
  const bonnet = rng.next() < 0.3 ? rng.uniform(0.06, 0.14) : 0;
  if (bonnet > 0) canvas.fillEllipse(width * rng.uniform(0.45, 0.55), height * (1 + bonnet * 0.6), width * 0.7, height * bonnet * 1.6, 0.01, IGNORE_INDEX, 25, 25, 30);
  drawSky(canvas, cam, rng);
  return finish(canvas, `${seed}-${index}`, rng, { light, haze, fogDistance });
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isSafeInteger(v) || v < 8 || v > 8192) throw new TandemError('USAGE', `scene ${name} is ${v}; expected an integer from 8 to 8192`);
  }
}

function roadCentre(s: Street, z: number): number {
  return s.offset + s.curve * z * z;
}

/** Road, lane markings, sidewalks and verges, per pixel below the horizon. */
function drawGround(c: SceneCanvas, cam: Camera, s: Street, rng: Rng): void {
  const asphalt = jitter(rng, [95, 95, 100], 0.25);
  const paving = jitter(rng, [170, 160, 165], 0.15);
  const grass = jitter(rng, pick(rng, [[90, 130, 60], [120, 130, 70], [140, 120, 80]] as const), 0.15);
  const marking = jitter(rng, [225, 225, 215], 0.05);
  const lanes = Math.max(1, Math.round((2 * s.halfWidth) / s.laneWidth));
  const laneWidth = (2 * s.halfWidth) / lanes;
  const dashed = rng.next() < 0.7;
  const edgeLines = rng.next() < 0.5;
  const markHalf = 0.08;
  const { width: w, height: h, depth, labels, rgb } = c;
  const y0 = Math.max(0, Math.ceil(cam.cy - 0.5));
  for (let y = y0; y < h; y++) {
    const dv = y + 0.5 - cam.cy;
    if (dv <= 0) continue;
    const z = (cam.f * cam.h) / dv;
    if (z > s.far) continue;
    const centre = roadCentre(s, z);
    const perU = z / cam.f;
    const stripe = (z % 6) < 3;
    const tileZ = (z % 1) < 0.06;
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const lat = (x + 0.5 - cam.cx) * perU - centre;
      const a = lat < 0 ? -lat : lat;
      let label: number;
      let col: Rgb;
      if (a < s.halfWidth) {
        label = T.road;
        col = asphalt;
        const fromEdge = lat + s.halfWidth;
        const lane = fromEdge / laneWidth;
        const nearest = Math.round(lane);
        if (nearest > 0 && nearest < lanes && Math.abs(lane - nearest) * laneWidth < markHalf && (!dashed || stripe)) col = marking;
        else if (edgeLines && s.halfWidth - a < 0.35 && s.halfWidth - a > 0.2) col = marking;
      } else if (a < s.halfWidth + s.sidewalk[lat < 0 ? 0 : 1]) {
        label = T.sidewalk;
        col = a - s.halfWidth < 0.2 ? [paving[0] * 0.8, paving[1] * 0.8, paving[2] * 0.8] : tileZ || (a % 1) < 0.06 ? [paving[0] * 0.85, paving[1] * 0.85, paving[2] * 0.85] : paving;
      } else {
        label = T.terrain;
        col = grass;
      }
      depth[i] = z;
      labels[i] = label;
      const j = i * 3;
      rgb[j] = col[0];
      rgb[j + 1] = col[1];
      rgb[j + 2] = col[2];
    }
  }
}

/** The blocks along one side of the street, near to far: facades, walls, fences, hedges and gaps. */
function sideBlocks(s: Street, side: -1 | 1, rng: Rng): Block[] {
  const blocks: Block[] = [];
  const kerb = s.halfWidth + s.sidewalk[side < 0 ? 0 : 1];
  let z = rng.uniform(-10, 2);
  const style = rng.next();
  while (z < s.far) {
    const len = rng.uniform(6, 30);
    const r = rng.next();
    const kind: BlockKind = style < 0.7 ? (r < 0.72 ? 'building' : r < 0.8 ? 'wall' : r < 0.86 ? 'fence' : r < 0.94 ? 'hedge' : 'open') : r < 0.25 ? 'building' : r < 0.4 ? 'wall' : r < 0.55 ? 'fence' : r < 0.85 ? 'hedge' : 'open';
    const low = kind === 'wall' || kind === 'fence' || kind === 'hedge';
    blocks.push({
      kind,
      z0: z,
      z1: z + len,
      setback: kerb + (low ? rng.uniform(0, 1.5) : rng.uniform(0, 4)),
      height: kind === 'building' ? rng.uniform(5, 28) : kind === 'hedge' ? rng.uniform(0.8, 3) : rng.uniform(0.8, 2.2),
      colour: kind === 'building' ? jitter(rng, pick(rng, COLOURS.facade), 0.12) : kind === 'hedge' ? jitter(rng, [60, 100, 40], 0.2) : kind === 'fence' ? jitter(rng, [150, 130, 110], 0.2) : jitter(rng, [160, 155, 150], 0.15),
      accent: kind === 'building' ? jitter(rng, pick(rng, [[60, 70, 90], [40, 45, 50], [150, 170, 190], [200, 190, 140]] as const), 0.15) : jitter(rng, [70, 70, 70], 0.2),
      period: rng.uniform(2.2, 4),
    });
    z += len;
  }
  return blocks;
}

/** Vertical faces along the street: for each image column, where its ray meets each block's curved face. */
function drawSide(c: SceneCanvas, cam: Camera, s: Street, side: -1 | 1, rng: Rng): void {
  const blocks = sideBlocks(s, side, rng);
  const { width: w, height: h } = c;
  const floor = rng.uniform(3, 3.6);
  for (let x = 0; x < w; x++) {
    const slope = (x + 0.5 - cam.cx) / cam.f;
    for (const b of blocks) {
      if (b.kind === 'open') continue;
      // slope·Z = offset + curve·Z² + side·setback
      const z = nearestRoot(s.curve, -slope, s.offset + side * b.setback, b.z0, Math.min(b.z1, s.far));
      if (z === undefined) continue;
      const top = b.kind === 'hedge' ? b.height * (1 + 0.15 * Math.sin(z * 1.7 + b.z0)) : b.height;
      const vTop = cam.cy + (cam.f * (cam.h - top)) / z;
      const vBottom = cam.cy + (cam.f * cam.h) / z;
      const y0 = Math.max(0, Math.ceil(vTop - 0.5));
      const y1 = Math.min(h, Math.ceil(vBottom - 0.5));
      const label = b.kind === 'building' ? T.building : b.kind === 'wall' ? T.wall : b.kind === 'fence' ? T.fence : T.vegetation;
      const along = z - b.z0;
      const edge = along < 0.4 || b.z1 - z < 0.4;
      for (let y = y0; y < y1; y++) {
        const height = cam.h - ((y + 0.5 - cam.cy) * z) / cam.f;
        let col: Rgb = b.colour;
        if (b.kind === 'building') {
          const inFloor = height % floor;
          const inBay = along % b.period;
          if (edge) col = [b.colour[0] * 0.8, b.colour[1] * 0.8, b.colour[2] * 0.8];
          else if (height > 0.3 && height < 2.8 && inBay > 0.3 * b.period && inBay < 0.9 * b.period) col = b.accent;
          else if (height > floor && inFloor > 0.9 && inFloor < 2.4 && inBay > 0.3 * b.period && inBay < 0.8 * b.period && height < b.height - 0.8) col = b.accent;
        } else if (b.kind === 'fence') {
          if ((along % 0.25) < 0.08 || height > top - 0.1) col = b.accent;
        } else if (b.kind === 'hedge') {
          const k = 0.8 + 0.25 * Math.sin(height * 9 + along * 7) * Math.sin(along * 3.1 + height * 2);
          col = [b.colour[0] * k, b.colour[1] * k, b.colour[2] * k];
        }
        c.plot(x, y, z, label, col[0], col[1], col[2]);
      }
    }
  }
}

/** The smallest root of a·Z² + b·Z + c = 0 inside [lo, hi] and in front of the camera. */
function nearestRoot(a: number, b: number, c: number, lo: number, hi: number): number | undefined {
  const min = Math.max(lo, 0.5);
  if (Math.abs(a) < 1e-12) {
    if (b === 0) return undefined;
    const z = -c / b;
    return z >= min && z <= hi ? z : undefined;
  }
  const disc = b * b - 4 * a * c;
  if (disc < 0) return undefined;
  const sq = Math.sqrt(disc);
  const r1 = (-b - sq) / (2 * a);
  const r2 = (-b + sq) / (2 * a);
  const first = Math.min(r1, r2);
  const second = Math.max(r1, r2);
  if (first >= min && first <= hi) return first;
  if (second >= min && second <= hi) return second;
  return undefined;
}

/** The end of the street: a frontal band of buildings and trees at the far depth. */
function drawSkyline(c: SceneCanvas, cam: Camera, s: Street, rng: Rng): void {
  const z = s.far;
  const xLeft = ((0 - cam.cx) * z) / cam.f;
  const xRight = ((c.width - cam.cx) * z) / cam.f;
  const vGround = cam.cy + (cam.f * cam.h) / z;
  let x = xLeft;
  while (x < xRight) {
    const len = rng.uniform(6, 25);
    const tree = rng.next() < 0.35;
    const top = tree ? rng.uniform(5, 14) : rng.uniform(6, 40);
    const col = tree ? jitter(rng, [70, 100, 50], 0.2) : jitter(rng, pick(rng, COLOURS.facade), 0.15);
    const u0 = cam.cx + (cam.f * x) / z;
    const u1 = cam.cx + (cam.f * (x + len)) / z;
    const vTop = cam.cy + (cam.f * (cam.h - top)) / z;
    if (tree) {
      c.fillRect(u0, (vTop + vGround) / 2, u1, vGround, z, T.vegetation, col[0], col[1], col[2]);
      c.fillEllipse((u0 + u1) / 2, (vTop + vGround) / 2, (u1 - u0) / 1.6, (vGround - vTop) / 2, z, T.vegetation, col[0], col[1], col[2]);
    } else {
      c.fillRect(u0, vTop, u1, vGround, z, T.building, col[0], col[1], col[2]);
    }
    x += len;
  }
}

/** Projects (X lateral, Y up, Z forward) metres to pixels. */
function project(cam: Camera, x: number, y: number, z: number): [number, number] {
  return [cam.cx + (cam.f * x) / z, cam.cy + (cam.f * (cam.h - y)) / z];
}

/** A camera-facing rectangle in metres: lateral [x0, x1], height [y0, y1], at depth z. */
function box(c: SceneCanvas, cam: Camera, x0: number, x1: number, y0: number, y1: number, z: number, label: number, col: Rgb): void {
  const [u0, v1] = project(cam, x0, y0, z);
  const [u1, v0] = project(cam, x1, y1, z);
  c.fillRect(u0, v0, u1, v1, z, label, col[0], col[1], col[2]);
}

function blob(c: SceneCanvas, cam: Camera, x: number, y: number, rx: number, ry: number, z: number, label: number, col: Rgb): void {
  const [u, v] = project(cam, x, y, z);
  c.fillEllipse(u, v, (cam.f * rx) / z, (cam.f * ry) / z, z, label, col[0], col[1], col[2]);
}

/** Poles (some with signs or traffic lights) at the kerb, and trees on the verge. */
function drawStreetFurniture(c: SceneCanvas, cam: Camera, s: Street, rng: Rng): void {
  for (const side of [-1, 1] as const) {
    const kerb = s.halfWidth + s.sidewalk[side < 0 ? 0 : 1];
    let z = rng.uniform(2, 15);
    const spacing = rng.uniform(10, 30);
    while (z < s.far - 2) {
      const x = roadCentre(s, z) + side * (s.halfWidth + rng.uniform(0.3, 0.7));
      const top = rng.uniform(3.5, 8);
      const grey = jitter(rng, [130, 130, 135], 0.2);
      box(c, cam, x - 0.07, x + 0.07, 0, top, z, T.pole, grey);
      const r = rng.next();
      if (r < 0.45) {
        const y = rng.uniform(2, Math.min(3, top - 0.4));
        const shape = rng.int(0, 3);
        const col: Rgb = pick(rng, [[200, 30, 30], [30, 70, 170], [230, 230, 230], [230, 200, 30]] as const);
        if (shape === 0) blob(c, cam, x, y, 0.32, 0.32, z - 0.05, T.trafficSign, col);
        else if (shape === 1) box(c, cam, x - 0.35, x + 0.35, y - 0.3, y + 0.3, z - 0.05, T.trafficSign, col);
        else {
          const [ua, va] = project(cam, x, y + 0.35, z - 0.05);
          const [, vb] = project(cam, x, y - 0.3, z - 0.05);
          const half = (cam.f * 0.38) / (z - 0.05);
          c.fillTrapezoid(va, vb, ua, ua, ua - half, ua + half, z - 0.05, T.trafficSign, col[0], col[1], col[2]);
        }
      } else if (r < 0.65) {
        const y = top - 1;
        box(c, cam, x - 0.16, x + 0.16, y - 0.45, y + 0.45, z - 0.05, T.trafficLight, [35, 35, 30]);
        const lit = rng.int(0, 3);
        const lamps: Rgb[] = [[230, 40, 30], [240, 170, 20], [40, 220, 90]];
        for (let k = 0; k < 3; k++) {
          const on = k === lit;
          const l = lamps[k]!;
          blob(c, cam, x, y + 0.28 - k * 0.28, 0.1, 0.1, z - 0.1, T.trafficLight, on ? l : [l[0] * 0.3, l[1] * 0.3, l[2] * 0.3]);
        }
      }
      if (rng.next() < 0.5) {
        const zt = z + rng.uniform(2, spacing - 2);
        const xt = roadCentre(s, zt) + side * (kerb + rng.uniform(-0.5, 2));
        const ht = rng.uniform(4, 11);
        const green = jitter(rng, [70, 110, 45], 0.25);
        box(c, cam, xt - 0.15, xt + 0.15, 0, ht * 0.55, zt, T.vegetation, jitter(rng, [90, 70, 50], 0.2));
        blob(c, cam, xt, ht * 0.68, rng.uniform(1.2, 2.6), ht * 0.32, zt, T.vegetation, green);
        blob(c, cam, xt + rng.uniform(-1, 1), ht * 0.75, rng.uniform(0.8, 1.6), ht * 0.22, zt - 0.3, T.vegetation, [green[0] * 0.85, green[1] * 0.85, green[2] * 0.85]);
      }
      z += spacing * rng.uniform(0.7, 1.3);
    }
  }
}

/** Cars, trucks, buses and cyclists in the lanes, parked cars at the kerbs. */
function drawTraffic(c: SceneCanvas, cam: Camera, s: Street, rng: Rng): void {
  const lanes = Math.max(1, Math.round((2 * s.halfWidth) / s.laneWidth));
  const laneWidth = (2 * s.halfWidth) / lanes;
  const count = rng.int(0, 9);
  for (let k = 0; k < count; k++) {
    const z = rng.uniform(4, Math.min(s.far - 3, 70));
    const lane = rng.int(0, lanes);
    const x = roadCentre(s, z) - s.halfWidth + (lane + 0.5) * laneWidth + rng.uniform(-0.4, 0.4);
    const r = rng.next();
    if (r < 0.75) drawCar(c, cam, x, z, rng);
    else if (r < 0.85) drawTruck(c, cam, x, z, rng, rng.next() < 0.5 ? T.truck : T.bus);
    else drawCyclist(c, cam, x, z, rng);
  }
  for (const side of [-1, 1] as const) {
    if (rng.next() < 0.5) continue;
    let z = rng.uniform(3, 12);
    while (z < Math.min(s.far - 3, 60)) {
      if (rng.next() < 0.7) drawCar(c, cam, roadCentre(s, z) + side * (s.halfWidth - 1.1), z, rng);
      z += rng.uniform(5, 12);
    }
  }
}

function drawCar(c: SceneCanvas, cam: Camera, x: number, z: number, rng: Rng): void {
  const w = rng.uniform(1.65, 2);
  const h = rng.uniform(1.35, 1.7);
  const body = jitter(rng, pick(rng, COLOURS.car), 0.1);
  const dark: Rgb = [25, 25, 28];
  box(c, cam, x - w / 2 + 0.05, x - w / 2 + 0.4, 0, 0.4, z + 0.3, T.car, dark);
  box(c, cam, x + w / 2 - 0.4, x + w / 2 - 0.05, 0, 0.4, z + 0.3, T.car, dark);
  box(c, cam, x - w / 2, x + w / 2, 0.25, h * 0.58, z, T.car, body);
  const [ul, vt] = project(cam, x - w * 0.36, h, z + 0.4);
  const [ur] = project(cam, x + w * 0.36, h, z + 0.4);
  const [bl, vb] = project(cam, x - w * 0.47, h * 0.58, z + 0.4);
  const [br] = project(cam, x + w * 0.47, h * 0.58, z + 0.4);
  c.fillTrapezoid(vt, vb, ul, ur, bl, br, z + 0.4, T.car, body[0], body[1], body[2]);
  const [wl, wt] = project(cam, x - w * 0.32, h * 0.95, z + 0.35);
  const [wr] = project(cam, x + w * 0.32, h * 0.95, z + 0.35);
  const [xl, wb] = project(cam, x - w * 0.42, h * 0.63, z + 0.35);
  const [xr] = project(cam, x + w * 0.42, h * 0.63, z + 0.35);
  c.fillTrapezoid(wt, wb, wl, wr, xl, xr, z + 0.35, T.car, 40, 50, 60);
  box(c, cam, x - w / 2 + 0.05, x - w / 2 + 0.3, h * 0.42, h * 0.52, z - 0.02, T.car, [200, 20, 20]);
  box(c, cam, x + w / 2 - 0.3, x + w / 2 - 0.05, h * 0.42, h * 0.52, z - 0.02, T.car, [200, 20, 20]);
  box(c, cam, x - 0.25, x + 0.25, 0.35, 0.47, z - 0.02, T.car, [230, 230, 220]);
}

function drawTruck(c: SceneCanvas, cam: Camera, x: number, z: number, rng: Rng, label: number): void {
  const w = rng.uniform(2.3, 2.55);
  const h = rng.uniform(2.9, 3.6);
  const col = jitter(rng, pick<Rgb>(rng, label === T.bus ? ([[200, 40, 40], [240, 200, 40], [230, 230, 230], [40, 90, 160]] as const) : ([[220, 220, 220], [90, 90, 100], [60, 80, 120], [160, 60, 40]] as const)), 0.1);
  box(c, cam, x - w / 2 + 0.1, x - w / 2 + 0.5, 0, 0.55, z + 0.5, label, [25, 25, 28]);
  box(c, cam, x + w / 2 - 0.5, x + w / 2 - 0.1, 0, 0.55, z + 0.5, label, [25, 25, 28]);
  box(c, cam, x - w / 2, x + w / 2, 0.45, h, z, label, col);
  if (label === T.bus) box(c, cam, x - w / 2 + 0.15, x + w / 2 - 0.15, h * 0.55, h * 0.9, z - 0.02, label, [40, 50, 65]);
  else box(c, cam, x - w / 2 + 0.05, x + w / 2 - 0.05, 0.9, 1.0, z - 0.02, label, [60, 60, 60]);
  box(c, cam, x - w / 2 + 0.1, x - w / 2 + 0.35, 0.7, 0.85, z - 0.03, label, [200, 20, 20]);
  box(c, cam, x + w / 2 - 0.35, x + w / 2 - 0.1, 0.7, 0.85, z - 0.03, label, [200, 20, 20]);
}

function drawCyclist(c: SceneCanvas, cam: Camera, x: number, z: number, rng: Rng): void {
  const motor = rng.next() < 0.3;
  const bike = motor ? T.motorcycle : T.bicycle;
  const frame: Rgb = jitter(rng, pick(rng, [[30, 30, 30], [150, 30, 30], [40, 60, 140]] as const), 0.15);
  blob(c, cam, x, 0.34, 0.06, 0.34, z + 0.6, bike, [20, 20, 20]);
  blob(c, cam, x, 0.34, 0.06, 0.34, z - 0.6, bike, [20, 20, 20]);
  box(c, cam, x - 0.05, x + 0.05, 0.3, motor ? 1.0 : 0.9, z, bike, frame);
  if (motor) box(c, cam, x - 0.3, x + 0.3, 0.45, 0.85, z + 0.2, bike, frame);
  drawPerson(c, cam, x, z - 0.1, rng, T.rider, 0.75, rng.uniform(1.55, 1.85));
}

/** Pedestrians on the sidewalks, a few crossing. */
function drawPedestrians(c: SceneCanvas, cam: Camera, s: Street, rng: Rng): void {
  const count = rng.int(0, 10);
  for (let k = 0; k < count; k++) {
    const z = rng.uniform(3, Math.min(s.far - 2, 45));
    const side = rng.next() < 0.5 ? -1 : 1;
    const crossing = rng.next() < 0.1;
    const lateral = crossing ? rng.uniform(-s.halfWidth, s.halfWidth) : side * (s.halfWidth + rng.uniform(0.3, s.sidewalk[side < 0 ? 0 : 1] - 0.2));
    drawPerson(c, cam, roadCentre(s, z) + lateral, z, rng, T.person, 0, rng.uniform(1.5, 1.95));
  }
}

function drawPerson(c: SceneCanvas, cam: Camera, x: number, z: number, rng: Rng, label: number, lift: number, h: number): void {
  const w = h * rng.uniform(0.24, 0.3);
  const top = jitter(rng, pick(rng, COLOURS.clothes), 0.2);
  const legs = jitter(rng, pick(rng, COLOURS.clothes), 0.2);
  const skin = jitter(rng, pick(rng, [[230, 190, 160], [180, 130, 100], [110, 75, 55]] as const), 0.08);
  const hip = lift + h * 0.47;
  if (lift === 0) {
    const stride = rng.uniform(0, 0.12) * h;
    box(c, cam, x - w * 0.42 - stride / 2, x - w * 0.04 - stride / 2, 0, hip, z, label, legs);
    box(c, cam, x + w * 0.04 + stride / 2, x + w * 0.42 + stride / 2, 0, hip, z + 0.05, label, legs);
  } else {
    box(c, cam, x - w * 0.35, x + w * 0.35, lift * 0.5, hip, z + 0.05, label, legs);
  }
  box(c, cam, x - w / 2, x + w / 2, hip, lift + h * 0.82, z, label, top);
  box(c, cam, x - w / 2 - 0.09, x - w / 2, lift + h * 0.5, lift + h * 0.8, z, label, top);
  box(c, cam, x + w / 2, x + w / 2 + 0.09, lift + h * 0.5, lift + h * 0.8, z, label, top);
  blob(c, cam, x, lift + h * 0.9, h * 0.065, h * 0.085, z, label, skin);
}

/** Sky where nothing else was drawn: a vertical gradient with a few soft clouds. */
function drawSky(c: SceneCanvas, cam: Camera, rng: Rng): void {
  const zenith = jitter(rng, pick(rng, [[70, 120, 190], [110, 150, 200], [150, 160, 170], [180, 185, 190]] as const), 0.1);
  const horizon = jitter(rng, [205, 215, 225], 0.06);
  const clouds: { u: number; v: number; ru: number; rv: number }[] = [];
  for (let k = rng.int(0, 6); k > 0; k--) clouds.push({ u: rng.uniform(0, c.width), v: rng.uniform(0, cam.cy), ru: rng.uniform(0.05, 0.25) * c.width, rv: rng.uniform(0.02, 0.08) * c.height });
  const { width: w, height: h, depth, labels, rgb } = c;
  for (let y = 0; y < h; y++) {
    const t = Math.min(1, Math.max(0, y / Math.max(1, cam.cy)));
    const base = [zenith[0] + (horizon[0] - zenith[0]) * t, zenith[1] + (horizon[1] - zenith[1]) * t, zenith[2] + (horizon[2] - zenith[2]) * t];
    for (let x = 0, i = y * w; x < w; x++, i++) {
      if (depth[i] !== Infinity) continue;
      labels[i] = T.sky;
      let cloud = 0;
      for (const cl of clouds) {
        const du = (x - cl.u) / cl.ru;
        const dv = (y - cl.v) / cl.rv;
        const d = du * du + dv * dv;
        if (d < 1) cloud = Math.max(cloud, 1 - d);
      }
      const j = i * 3;
      rgb[j] = base[0]! + (245 - base[0]!) * cloud;
      rgb[j + 1] = base[1]! + (245 - base[1]!) * cloud;
      rgb[j + 2] = base[2]! + (248 - base[2]!) * cloud;
    }
  }
}

interface Look {
  readonly light: { gain: number; tint: readonly [number, number, number] };
  readonly haze: Rgb;
  readonly fogDistance: number;
}

/** Haze with distance, lighting, sensor noise and (sometimes) blur on the image; depth 0 where there is none. */
function finish(c: SceneCanvas, id: string, rng: Rng, look: Look): LabeledFrame {
  const { width: w, height: h, rgb, depth, labels } = c;
  const noise = rng.uniform(2, 12);
  let state = (rng.int(1, 0x7fffffff) | 1) >>> 0;
  const g0 = look.light.gain * look.light.tint[0];
  const g1 = look.light.gain * look.light.tint[1];
  const g2 = look.light.gain * look.light.tint[2];
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const z = depth[i]!;
    const valid = z !== Infinity && labels[i] !== IGNORE_INDEX;
    const fog = valid ? 1 - Math.exp(-z / look.fogDistance) : 0;
    out[i] = valid ? z : 0;
    const j = i * 3;
    for (let k = 0; k < 3; k++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const n = ((state >>> 0) / 4294967296 - 0.5) * 2 * noise;
      const v = rgb[j + k]! + (look.haze[k]! - rgb[j + k]!) * fog;
      rgb[j + k] = clamp255(v * (k === 0 ? g0 : k === 1 ? g1 : g2) + n);
    }
  }
  if (rng.next() < 0.5) blur3(rgb, w, h);
  return { id, width: w, height: h, image: rgb, labels, depth: out };
}

/** A [1 2 1]/4 blur in both directions on an RGB image, in place. */
function blur3(rgb: Uint8Array, w: number, h: number): void {
  const tmp = new Uint8Array(rgb.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const l = Math.max(0, x - 1);
      const r = Math.min(w - 1, x + 1);
      for (let k = 0; k < 3; k++) tmp[row + x * 3 + k] = (rgb[row + l * 3 + k]! + 2 * rgb[row + x * 3 + k]! + rgb[row + r * 3 + k]! + 2) >> 2;
    }
  }
  for (let y = 0; y < h; y++) {
    const up = Math.max(0, y - 1) * w * 3;
    const down = Math.min(h - 1, y + 1) * w * 3;
    const row = y * w * 3;
    for (let i = 0; i < w * 3; i++) rgb[row + i] = (tmp[up + i]! + 2 * tmp[row + i]! + tmp[down + i]! + 2) >> 2;
  }
}

/** Options of `syntheticDataset` (generated street scenes with exact labels and depth). */
export interface SyntheticOptions {
  /** Seed of the scene sequence. @default 0 */
  seed?: number;
  /** Frames in the dataset. @default 64 */
  count?: number;
  /** Frame height in pixels. @default 256 */
  height?: number;
  /** Frame width in pixels. @default 512 */
  width?: number;
}

/** Generated street scenes as a dataset: frame i is renderScene(seed, i, ...), made on demand, never stored. */
export function syntheticDataset(options: SyntheticOptions = {}): FrameDataset {
  const seed = options.seed ?? 0;
  const count = options.count ?? 64;
  const height = options.height ?? 256;
  const width = options.width ?? 512;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new TandemError('USAGE', `scene seed is ${seed}; expected an integer from 0 to 4294967295`);
  if (!Number.isSafeInteger(count) || count <= 0) throw new TandemError('USAGE', `scene count is ${count}; expected a positive integer`);
  checkSize(width, height);
  return {
    description: `synthetic scenes, seed ${seed}, ${count} frames at ${height}x${width}`,
    size: count,
    read: async (i) => renderScene(seed, i, width, height),
  };
}
