/**
 * A tiny protobuf writer for tests, independent of src/onnx/wire.ts: builds messages field by field so
 * tests can craft exactly the bytes they need (unknown fields, odd wire types, truncations).
 */
export type Field =
  | { n: number; varint: number | bigint }
  | { n: number; bytes: Uint8Array | string | Field[] }
  | { n: number; fixed32: number }
  | { n: number; raw: Uint8Array; wire: number };

export function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export function message(fields: Field[]): Uint8Array {
  // appended in loops: push(...body) overflows the stack on bodies of a few hundred thousand bytes
  const out: number[] = [];
  const put = (bytes: ArrayLike<number>): void => {
    for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
  };
  for (const f of fields) {
    if ('varint' in f) {
      put(varint(f.n * 8));
      put(varint(f.varint));
    } else if ('fixed32' in f) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, f.fixed32, true);
      put(varint(f.n * 8 + 5));
      put(b);
    } else if ('raw' in f) {
      put(varint(f.n * 8 + f.wire));
      put(f.raw);
    } else {
      const body = typeof f.bytes === 'string' ? new TextEncoder().encode(f.bytes) : Array.isArray(f.bytes) ? message(f.bytes) : f.bytes;
      put(varint(f.n * 8 + 2));
      put(varint(body.length));
      put(body);
    }
  }
  return Uint8Array.from(out);
}
