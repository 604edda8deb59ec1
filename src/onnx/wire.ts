import { TandemError } from '../util/errors.js';

/** Protobuf wire types. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/**
 * Where the bytes of a model come from. `window(pos, min)` returns a buffer holding at least `min`
 * bytes from absolute offset `pos` (fewer only at the end of the data) and the offset of its first byte.
 */
export interface ByteSource {
  readonly length: number;
  /** Returns bytes [pos, pos + len) — a view where possible, else a copy. */
  slice(pos: number, len: number): Uint8Array;
  window(pos: number, min: number): { buf: Uint8Array; start: number };
  /** A human-readable name for messages ("model.onnx"). */
  readonly name: string;
  /** Whether `slice` returns views into memory that stays valid (in-memory sources). */
  readonly inMemory: boolean;
}

export class MemorySource implements ByteSource {
  readonly inMemory = true;
  constructor(
    readonly bytes: Uint8Array,
    readonly name = '<memory>',
  ) {}
  get length(): number {
    return this.bytes.length;
  }
  slice(pos: number, len: number): Uint8Array {
    return this.bytes.subarray(pos, pos + len);
  }
  window(): { buf: Uint8Array; start: number } {
    return { buf: this.bytes, start: 0 };
  }
}

/** Field path and position, for error messages. */
export interface ParseContext {
  path(): string;
}

/**
 * A cursor over a ByteSource with protobuf primitives. All reads are bounds-checked against `limit`
 * (the end of the enclosing message); a violation is a TandemError `ONNX_PARSE` with the byte offset.
 */
export class WireReader {
  pos = 0;
  limit: number;
  #buf: Uint8Array;
  #start: number;
  readonly source: ByteSource;
  readonly ctx: ParseContext;

  constructor(source: ByteSource, ctx: ParseContext) {
    this.source = source;
    this.ctx = ctx;
    this.limit = source.length;
    const w = source.window(0, 0);
    this.#buf = w.buf;
    this.#start = w.start;
  }

  fail(message: string, at = this.pos): never {
    throw new TandemError(
      'ONNX_PARSE',
      `${this.source.name}: ${message} at byte offset ${at} (field ${this.ctx.path()}); the file is truncated or not an ONNX model`,
      { details: { offset: at, path: this.ctx.path() } },
    );
  }

  #ensure(n: number): void {
    const rel = this.pos - this.#start;
    if (rel >= 0 && rel + n <= this.#buf.length) return;
    const w = this.source.window(this.pos, n);
    this.#buf = w.buf;
    this.#start = w.start;
  }

  /** Reads a tag; returns field number * 8 + wire type. */
  tag(): number {
    const t = this.uint32();
    if (t >>> 3 === 0) this.fail('invalid field number 0', this.pos - 1);
    return t;
  }

  uint32(): number {
    const v = this.varint();
    return v >>> 0;
  }

  /** A varint as a JS number: exact up to 2^53; int64 negatives (10-byte form) come back negative. */
  varint(): number {
    const at = this.pos;
    this.#ensure(Math.min(10, this.limit - this.pos));
    const buf = this.#buf;
    let i = this.pos - this.#start;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let b: number;
    const end = Math.min(this.limit - this.#start, i + 10, buf.length);
    // low 28 bits
    do {
      if (i >= end) this.fail(i - (at - this.#start) >= 10 ? 'varint longer than 10 bytes' : 'truncated varint', at);
      b = buf[i++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
    } while (b & 0x80);
    this.pos = i + this.#start;
    lo >>>= 0;
    hi >>>= 0;
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
    return hi * TWO_32 + lo;
  }

  /** A varint as exact 64-bit two's-complement bigint (for int64_data / uint64_data). */
  varintBig(signed: boolean): bigint {
    const at = this.pos;
    this.#ensure(Math.min(10, this.limit - this.pos));
    const buf = this.#buf;
    let i = this.pos - this.#start;
    const end = Math.min(this.limit - this.#start, i + 10, buf.length);
    let v = 0n;
    let shift = 0n;
    let b: number;
    do {
      if (i >= end) this.fail('truncated varint', at);
      b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    this.pos = i + this.#start;
    return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  float(): number {
    this.#need(4);
    this.#ensure(4);
    const b = this.#buf;
    const i = this.pos - this.#start;
    this.pos += 4;
    return new DataView(b.buffer, b.byteOffset + i, 4).getFloat32(0, true);
  }

  double(): number {
    this.#need(8);
    this.#ensure(8);
    const b = this.#buf;
    const i = this.pos - this.#start;
    this.pos += 8;
    return new DataView(b.buffer, b.byteOffset + i, 8).getFloat64(0, true);
  }

  /** Reads a length prefix and checks it fits inside the enclosing message. */
  length(): number {
    const at = this.pos;
    const n = this.varint();
    if (n < 0 || n > this.limit - this.pos) {
      this.fail(`length ${n} runs past the end of the enclosing message (${this.limit - this.pos} bytes left)`, at);
    }
    return n;
  }

  /** Bytes of a length-delimited field: a view for in-memory sources, a copy for files. */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.source.slice(this.pos, n);
    this.pos += n;
    return out;
  }

  string(): string {
    const b = this.bytes();
    try {
      return utf8.decode(b);
    } catch {
      return utf8Lossy.decode(b);
    }
  }

  /** Decodes a string, reporting whether its bytes were valid UTF-8. */
  stringOrBytes(): { text: string; raw?: Uint8Array } {
    const b = this.bytes();
    try {
      return { text: utf8.decode(b) };
    } catch {
      return { text: utf8Lossy.decode(b), raw: new Uint8Array(b) };
    }
  }

  skip(n: number): void {
    this.#need(n);
    this.pos += n;
  }

  /** Skips a field's value of the given wire type. */
  skipValue(wireType: number, depth = 0): void {
    switch (wireType) {
      case WIRE.varint:
        this.varint();
        return;
      case WIRE.fixed64:
        this.skip(8);
        return;
      case WIRE.bytes:
        this.skip(this.length());
        return;
      case WIRE.fixed32:
        this.skip(4);
        return;
      case WIRE.startGroup: {
        if (depth > 32) this.fail('groups nested too deeply');
        for (;;) {
          if (this.pos >= this.limit) this.fail('unterminated group');
          const t = this.tag();
          if ((t & 7) === WIRE.endGroup) return;
          this.skipValue(t & 7, depth + 1);
        }
      }
      default:
        this.fail(`invalid wire type ${wireType}`);
    }
  }

  #need(n: number): void {
    if (n > this.limit - this.pos) this.fail(`${n} bytes needed, ${this.limit - this.pos} left in the enclosing message`);
  }
}

/**
 * Builds a protobuf encoding as a list of parts: small fields go to a growing scratch buffer, large
 * byte fields are referenced without copying. A nested message is written to its own writer and then
 * appended with its length prefix.
 */
export class WireWriter {
  readonly parts: Uint8Array[] = [];
  #buf = new Uint8Array(64);
  #pos = 0;
  #flushed = 0;

  /** Total encoded length so far. */
  get length(): number {
    return this.#flushed + this.#pos;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.parts.push(this.#buf.subarray(0, this.#pos));
    this.#flushed += this.#pos;
    this.#buf = new Uint8Array(Math.min(1 << 16, this.#buf.length * 2));
    this.#pos = 0;
  }

  /** Finishes and returns the parts (the writer must not be used afterwards). */
  finish(): Uint8Array[] {
    this.#flush();
    return this.parts;
  }

  tag(field: number, wireType: number): void {
    this.uint(field * 8 + wireType);
  }

  /** Unsigned varint of a non-negative safe integer. */
  uint(v: number): void {
    this.#reserve(10);
    const buf = this.#buf;
    let p = this.#pos;
    while (v >= 0x80) {
      buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[p++] = v;
    this.#pos = p;
  }

  /** int64/int32 varint: negatives in 10-byte two's complement; values beyond int64 saturate. */
  int(v: number): void {
    if (v >= 9223372036854775807) this.bigint(9223372036854775807n);
    else if (v >= 0) this.uint(v);
    else if (v <= -9223372036854775808) this.bigint(-9223372036854775808n);
    else {
      // two's complement of a negative safe integer: 2^64 + v, as hi/lo words
      const mag = -v;
      let lo = (mag % TWO_32) >>> 0;
      let hi = Math.floor(mag / TWO_32) >>> 0;
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
      this.#words(lo, hi);
    }
  }

  bigint(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.#words(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  #words(lo: number, hi: number): void {
    this.#reserve(10);
    const buf = this.#buf;
    let p = this.#pos;
    while (hi !== 0 || lo >= 0x80) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[p++] = lo;
    this.#pos = p;
  }

  float(v: number): void {
    this.#reserve(4);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#pos, 4).setFloat32(0, v, true);
    this.#pos += 4;
  }

  double(v: number): void {
    this.#reserve(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#pos, 8).setFloat64(0, v, true);
    this.#pos += 8;
  }

  /** Raw bytes appended as they are (copied when small, referenced when large). */
  raw(bytes: Uint8Array): void {
    if (bytes.length <= 256) {
      this.#reserve(bytes.length);
      this.#buf.set(bytes, this.#pos);
      this.#pos += bytes.length;
    } else {
      this.#flush();
      this.parts.push(bytes);
      this.#flushed += bytes.length;
    }
  }

  /** A length-delimited field holding `bytes`. */
  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, WIRE.bytes);
    this.uint(bytes.length);
    this.raw(bytes);
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, Buffer.from(s, 'utf8'));
  }

  /** A length-delimited field whose content is another writer's output. */
  messageField(field: number, child: WireWriter): void {
    const parts = child.finish();
    this.tag(field, WIRE.bytes);
    this.uint(child.length);
    for (const p of parts) this.raw(p);
  }

  /** Concatenates everything into one buffer. */
  toBytes(): Uint8Array {
    const parts = this.finish();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
