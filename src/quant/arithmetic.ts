/**
 * TensorRT's INT8 arithmetic (reference §1): symmetric, zero point 0, s = amax / 127,
 * q = clamp(roundHalfToEven(x / s), -128, 127), x̂ = q · s. Scales are stored as float32.
 */

/** Largest INT8 magnitude used for the scale: 7 magnitude bits (symmetric scheme). */
export const INT8_MAX = 127;
export const INT8_MIN = -128;

/** Amax used where a tensor was all zeros: any positive scale represents 0 exactly; a zero scale is rejected by TensorRT. */
export const ZERO_TENSOR_AMAX = 1;

/** The float32 scale of an amax: amax / 127, rounded to float32 as ONNX and the cache store it. */
export function scaleFromAmax(amax: number): number {
  const a = amax > 0 && Number.isFinite(amax) ? amax : ZERO_TENSOR_AMAX;
  return Math.fround(a / INT8_MAX);
}

/** The amax a float32 scale stands for (scale · 127). */
export function amaxFromScale(scale: number): number {
  return scale * INT8_MAX;
}

/** Round half to even, as IEEE 754, ONNX QuantizeLinear and TensorRT's IQuantizeLayer do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; move exact ties that landed on an odd number back down.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One value through Q then DQ with scale `s` (INT8 range [-128, 127]). */
export function fakeQuantize(x: number, s: number): number {
  let q = roundHalfEven(x / s);
  if (q > INT8_MAX) q = INT8_MAX;
  else if (q < INT8_MIN) q = INT8_MIN;
  return q * s;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The cache's hex form of a float32: the 8 lowercase hex digits of its IEEE-754 bit pattern, most
 * significant first (what `struct.pack('>f', s).hex()` prints; reference §3.1).
 */
export function float32Hex(value: number): string {
  f32[0] = value;
  return u32[0]!.toString(16).padStart(8, '0');
}

/** Inverse of `float32Hex`; accepts the unpadded form QDQT and TAO write (`0` for 0.0). Undefined for non-hex text. */
export function hexFloat32(hex: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) return undefined;
  u32[0] = Number.parseInt(hex, 16);
  return f32[0]!;
}
