// Byte-level building blocks of the codec: a growable writer and a bounds-checked
// reader. Both use the machine's byte order, which netlink calls "host order":
// wasm memory is little-endian, and so are the only hosts we support (x86_64,
// arm64), so a u32 in wasm memory has the same bytes as the kernel's __u32.

/** Grows as needed; every write appends at the end. Writes never fail. */
export class ByteWriter {
  private buf: Uint8Array;
  private len: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.buf = new Uint8Array(max(capacity, 16));
  }

  /** Bytes written so far. */
  get length(): i32 {
    return this.len;
  }

  /** Makes room for n more bytes and returns the address where they go. */
  private reserve(n: i32): usize {
    const needed = this.len + n;
    if (needed > this.buf.length) {
      let capacity = this.buf.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      memory.copy(grown.dataStart, this.buf.dataStart, <usize> this.len);
      this.buf = grown;
    }
    const at = this.buf.dataStart + <usize> this.len;
    this.len = needed;
    return at;
  }

  u8(value: u8): void {
    store<u8>(this.reserve(1), value);
  }

  u16(value: u16): void {
    store<u16>(this.reserve(2), value);
  }

  u32(value: u32): void {
    store<u32>(this.reserve(4), value);
  }

  u64(value: u64): void {
    store<u64>(this.reserve(8), value);
  }

  i32(value: i32): void {
    store<i32>(this.reserve(4), value);
  }

  /** Appends raw bytes. */
  bytes(data: Uint8Array): void {
    memory.copy(this.reserve(data.length), data.dataStart, <usize> data.length);
  }

  /** Appends n zero bytes (padding). */
  zeros(n: i32): void {
    if (n <= 0) return;
    memory.fill(this.reserve(n), 0, <usize> n);
  }

  /** Appends the UTF-8 bytes of text, plus a NUL when nulTerminated. */
  utf8(text: string, nulTerminated: bool): void {
    const n = String.UTF8.byteLength(text, false) + (nulTerminated ? 1 : 0);
    const at = this.reserve(n);
    String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, at, false);
    if (nulTerminated) store<u8>(at + <usize> (n - 1), 0);
  }

  /**
   * Overwrites a u16 written earlier (a length known only later). Ignores offsets outside what was written.
   */
  setU16(offset: i32, value: u16): void {
    if (offset < 0 || offset + 2 > this.len) return;
    store<u16>(this.buf.dataStart + <usize> offset, value);
  }

  /** Overwrites a u32 written earlier. Ignores offsets outside what was written. */
  setU32(offset: i32, value: u32): void {
    if (offset < 0 || offset + 4 > this.len) return;
    store<u32>(this.buf.dataStart + <usize> offset, value);
  }

  /** A copy of everything written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Reads fixed-size fields in sequence from bytes [start, end). Reading past the
 * end never traps: it records the first error, returns zero, and every later
 * read returns zero too, so a decoder can read a whole struct and check once.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter } from "./buffer";
 *
 * const w = new ByteWriter();
 * w.u16(0x0102);
 * w.u32(7);
 * const bytes = w.toBytes();
 * assert(bytes.length == 6 && bytes[0] == 0x02); // host order: little-endian
 *
 * const r = new ByteReader(bytes);
 * const first = r.u16();
 * const second = r.u32();
 * assert(first == 0x0102 && second == 7 && r.error == null);
 * assert(r.u8("ifi_family") == 0 && r.error != null); // past the end: zero and an error
 * ```
 */
export class ByteReader {
  /** Offset of the next read, relative to the start of `bytes`. */
  pos: i32;
  error: string | null = null;

  constructor(
    public bytes: Uint8Array,
    start: i32 = 0,
    public end: i32 = -1,
  ) {
    if (this.end < 0 || this.end > bytes.length) this.end = bytes.length;
    this.pos = start < 0 ? 0 : min(start, this.end);
  }

  /** Bytes left to read. */
  get remaining(): i32 {
    return this.end - this.pos;
  }

  /** Address of n readable bytes, or 0 (with the error recorded) when they are not there. */
  private take(n: i32, what: string): usize {
    if (this.error != null) return 0;
    if (n < 0 || this.end - this.pos < n) {
      this.error = what + ": need " + n.toString() + " bytes at offset " + this.pos.toString() +
        ", only " + (this.end - this.pos).toString() + " left";
      return 0;
    }
    const at = this.bytes.dataStart + <usize> this.pos;
    this.pos += n;
    return at;
  }

  u8(what: string = "u8"): u8 {
    const at = this.take(1, what);
    return at == 0 ? 0 : load<u8>(at);
  }

  u16(what: string = "u16"): u16 {
    const at = this.take(2, what);
    return at == 0 ? 0 : load<u16>(at);
  }

  u32(what: string = "u32"): u32 {
    const at = this.take(4, what);
    return at == 0 ? 0 : load<u32>(at);
  }

  i32(what: string = "i32"): i32 {
    const at = this.take(4, what);
    return at == 0 ? 0 : load<i32>(at);
  }

  /** Skips n bytes (reserved or padding fields). */
  skip(n: i32, what: string = "padding"): void {
    this.take(n, what);
  }
}
