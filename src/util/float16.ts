/**
 * Conversions between JS numbers and the narrow float formats ONNX stores as bit patterns
 * (float16, bfloat16, the float8 family, float4e2m1, float8e8m0). Rounding is to nearest, ties to even,
 * as IEEE 754 and the ONNX Cast spec (saturate=1 for float8) require.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value → IEEE half bits, round to nearest even, overflow to ±inf. */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** IEEE half bits → number. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 value → bfloat16 bits, round to nearest even. */
export function bfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function bfloat16Value(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/** Layout of a small float format: exponent and mantissa widths, bias, and its special values. */
interface MiniFloat {
  readonly expBits: number;
  readonly mantBits: number;
  readonly bias: number;
  /** 'ieee': all-ones exponent is inf/NaN; 'fn': only all-ones is NaN, no inf; 'fnuz': 0x80 is NaN; 'none': no specials. */
  readonly specials: 'ieee' | 'fn' | 'fnuz' | 'none';
  readonly signed: boolean;
}

export const MINI_FLOATS = {
  float8e4m3fn: { expBits: 4, mantBits: 3, bias: 7, specials: 'fn', signed: true },
  float8e4m3fnuz: { expBits: 4, mantBits: 3, bias: 8, specials: 'fnuz', signed: true },
  float8e5m2: { expBits: 5, mantBits: 2, bias: 15, specials: 'ieee', signed: true },
  float8e5m2fnuz: { expBits: 5, mantBits: 2, bias: 16, specials: 'fnuz', signed: true },
  float4e2m1: { expBits: 2, mantBits: 1, bias: 1, specials: 'none', signed: true },
} as const satisfies Record<string, MiniFloat>;

export type MiniFloatName = keyof typeof MINI_FLOATS;

/** Bits of a small float → number. */
export function miniFloatValue(format: MiniFloatName, bits: number): number {
  const f: MiniFloat = MINI_FLOATS[format];
  const width = 1 + f.expBits + f.mantBits;
  const signBit = 1 << (width - 1);
  if (f.specials === 'fnuz' && bits === signBit) return NaN;
  const sign = bits & signBit ? -1 : 1;
  const exp = (bits >>> f.mantBits) & ((1 << f.expBits) - 1);
  const mant = bits & ((1 << f.mantBits) - 1);
  const expMax = (1 << f.expBits) - 1;
  if (f.specials === 'ieee' && exp === expMax) return mant === 0 ? sign * Infinity : NaN;
  if (f.specials === 'fn' && exp === expMax && mant === (1 << f.mantBits) - 1) return NaN;
  if (exp === 0) return sign * mant * 2 ** (1 - f.bias - f.mantBits);
  return sign * (1 + mant / (1 << f.mantBits)) * 2 ** (exp - f.bias);
}

/** number → bits of a small float, round to nearest even, saturating to the largest finite value. */
export function miniFloatBits(format: MiniFloatName, value: number): number {
  const f: MiniFloat = MINI_FLOATS[format];
  const width = 1 + f.expBits + f.mantBits;
  const signBit = 1 << (width - 1);
  if (Number.isNaN(value)) {
    if (f.specials === 'fnuz') return signBit;
    if (f.specials === 'none') return 0;
    return (1 << (width - 1)) - 1; // all ones but the sign: NaN in both ieee and fn layouts
  }
  const negative = value < 0 || Object.is(value, -0);
  let bestBits = 0;
  let bestErr = Infinity;
  // Exhaustive search over the (at most 128) magnitudes: exact, and immune to rounding corner cases.
  const a = Math.abs(value);
  for (let b = 0; b < signBit; b++) {
    const v = miniFloatValue(format, b);
    if (!Number.isFinite(v)) continue;
    const err = Math.abs(v - a);
    if (err < bestErr || (err === bestErr && (b & 1) === 0)) {
      bestErr = err;
      bestBits = b;
    }
  }
  if (negative && !(f.specials === 'fnuz' && bestBits === 0)) bestBits |= signBit;
  return bestBits;
}

/** float8e8m0 (exponent only, bias 127): bits → 2^(bits-127); 0xff is NaN. */
export function float8e8m0Value(bits: number): number {
  return bits === 0xff ? NaN : 2 ** (bits - 127);
}
