// Netlink attributes (struct nlattr: u16 nla_len, u16 nla_type, payload, padding
// to NLA_ALIGNTO). The encoder and the decoder keep a sticky error instead of
// trapping: AssemblyScript has no exceptions, and a hostile or truncated message
// must not abort the module. Call sites stay flat and check `error` once.

import { NLA_HDRLEN, nlaAlign } from "./align";
import { ByteReader, ByteWriter } from "./buffer";
import { NLA_TYPE_MASK } from "./constants";

/** Largest nla_len: the field is a u16. */
const MAX_ATTRIBUTE_LENGTH: i32 = 0xffff;

/**
 * Appends attributes to a ByteWriter (its own, or a message's).
 *
 * @example
 * ```ts
 * import { AttributeEncoder } from "./attribute";
 * import { IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MTU } from "./constants";
 *
 * const e = new AttributeEncoder();
 * e.u32(IFLA_MTU, 1500); // 4-byte header + 4: 8 bytes
 * e.string(IFLA_IFNAME, "eth0"); // 4 + "eth0\0", padded: 12 bytes
 * e.nestStart(IFLA_LINKINFO); // its length is written by nestEnd
 * e.string(IFLA_INFO_KIND, "macvtap", false); // without NUL, as iproute2 sends it: 4 + 7 + 1 pad
 * e.nestEnd();
 * const bytes = e.finish()!;
 * assert(bytes.length == 8 + 12 + 16);
 * assert(load<u16>(bytes.dataStart) == 8 && load<u16>(bytes.dataStart, 2) == IFLA_MTU);
 * assert(load<u16>(bytes.dataStart + 20) == 16); // the nest's nla_len covers what it holds
 *
 * const unclosed = new AttributeEncoder();
 * unclosed.nestStart(IFLA_LINKINFO);
 * assert(unclosed.finish() == null && unclosed.error == "nested attribute left open");
 * ```
 */
export class AttributeEncoder {
  /** First problem met (an attribute too long, a nest left open); later writes are skipped. */
  error: string | null = null;
  /** Offsets of nested attribute headers still waiting for nestEnd. */
  private openNests: i32[] = [];

  constructor(public writer: ByteWriter = new ByteWriter()) {}

  /** Number of nestStart calls not yet closed by nestEnd. */
  get openNestCount(): i32 {
    return this.openNests.length;
  }

  private fail(message: string): void {
    if (this.error == null) this.error = message;
  }

  /** Writes the header of an attribute with a payloadLength-byte payload; false when it cannot. */
  private header(type: u16, payloadLength: i32): bool {
    if (this.error != null) return false;
    const total = NLA_HDRLEN + payloadLength;
    if (total > MAX_ATTRIBUTE_LENGTH) {
      this.fail(
        "attribute " + type.toString() + " is too long: " + total.toString() + " bytes, nla_len is a u16",
      );
      return false;
    }
    this.writer.u16(<u16> total);
    this.writer.u16(type);
    return true;
  }

  private pad(payloadLength: i32): void {
    this.writer.zeros(nlaAlign(payloadLength) - payloadLength);
  }

  u8(type: u16, value: u8): void {
    if (!this.header(type, 1)) return;
    this.writer.u8(value);
    this.pad(1);
  }

  u16(type: u16, value: u16): void {
    if (!this.header(type, 2)) return;
    this.writer.u16(value);
    this.pad(2);
  }

  u32(type: u16, value: u32): void {
    if (this.header(type, 4)) this.writer.u32(value);
  }

  u64(type: u16, value: u64): void {
    if (this.header(type, 8)) this.writer.u64(value);
  }

  i32(type: u16, value: i32): void {
    if (this.header(type, 4)) this.writer.i32(value);
  }

  /**
   * A UTF-8 string, NUL-terminated as the kernel sends strings. `nulTerminated`
   * false writes the bare bytes, as iproute2 does for IFLA_INFO_KIND (the
   * kernel's NLA_STRING policy accepts both).
   */
  string(type: u16, text: string, nulTerminated: bool = true): void {
    const length = String.UTF8.byteLength(text, false) + (nulTerminated ? 1 : 0);
    if (!this.header(type, length)) return;
    this.writer.utf8(text, nulTerminated);
    this.pad(length);
  }

  /** Raw bytes (addresses, opaque payloads). */
  bytes(type: u16, data: Uint8Array): void {
    if (!this.header(type, data.length)) return;
    this.writer.bytes(data);
    this.pad(data.length);
  }

  /** bytes(type, value) when value is not null: how optional fields are written. */
  optionalBytes(type: u16, value: Uint8Array | null): void {
    if (value != null) this.bytes(type, value);
  }

  /** string(type, value) when value is not null. */
  optionalString(type: u16, value: string | null): void {
    if (value != null) this.string(type, value);
  }

  /** An attribute with no payload (NLA_FLAG): present means true. */
  flag(type: u16): void {
    this.header(type, 0);
  }

  /**
   * Opens a nested attribute; the attributes written until the matching nestEnd
   * form its payload. `type` is written as given: iproute2 sends IFLA_LINKINFO
   * without NLA_F_NESTED and the kernel accepts both, so OR it in where wanted.
   */
  nestStart(type: u16): void {
    const at = this.writer.length;
    if (!this.header(type, 0)) return;
    this.openNests.push(at);
  }

  /** Closes the innermost open nest, writing its final length. */
  nestEnd(): void {
    if (this.error != null) return;
    if (this.openNests.length == 0) {
      this.fail("nestEnd without a matching nestStart");
      return;
    }
    const at = this.openNests.pop();
    const total = this.writer.length - at;
    if (total > MAX_ATTRIBUTE_LENGTH) {
      this.fail(
        "nested attribute at offset " + at.toString() + " is too long: " + total.toString() + " bytes",
      );
      return;
    }
    this.writer.setU16(at, <u16> total);
  }

  /** Every attribute written, or null when an error was recorded or a nest is still open. */
  finish(): Uint8Array | null {
    if (this.error == null && this.openNests.length > 0) this.fail("nested attribute left open");
    return this.error == null ? this.writer.toBytes() : null;
  }
}

/**
 * Walks the attributes in bytes [start, end): `while (d.next()) { switch (d.type()) ... }`, then check
 * `d.error`. A truncated header or a length that runs past the end is an error, never a trap. Getters
 * check the payload length exactly; after the first error every getter returns zero and next() returns
 * false. Errors met in a nested() child are recorded in its parent too.
 *
 * @example
 * ```ts
 * import { AttributeDecoder, AttributeEncoder } from "./attribute";
 * import { IFLA_IFNAME, IFLA_MTU } from "./constants";
 *
 * const e = new AttributeEncoder();
 * e.u32(IFLA_MTU, 9000);
 * e.string(IFLA_IFNAME, "net1");
 * const bytes = e.finish()!;
 *
 * const d = new AttributeDecoder(bytes);
 * let mtu: u32 = 0;
 * let name = "";
 * while (d.next()) {
 *   if (d.type() == IFLA_MTU) mtu = d.u32();
 *   else if (d.type() == IFLA_IFNAME) name = d.string();
 * }
 * assert(d.error == null && mtu == 9000 && name == "net1");
 *
 * // Cut inside the second attribute: an error to report, not a trap.
 * const cut = new AttributeDecoder(bytes.subarray(0, 10));
 * while (cut.next()) {}
 * assert(cut.error == "truncated attribute header at offset 8: 2 bytes left");
 * ```
 */
export class AttributeDecoder {
  error: string | null = null;
  private pos: i32;
  private end: i32;
  private rawType: u16 = 0;
  private start: i32 = 0;
  private len: i32 = 0;

  constructor(
    public buf: Uint8Array,
    start: i32 = 0,
    end: i32 = -1,
    private parent: AttributeDecoder | null = null,
  ) {
    this.end = end < 0 || end > buf.length ? buf.length : end;
    this.pos = start < 0 ? 0 : min(start, this.end);
  }

  /** Records the first error here and in every enclosing decoder. */
  fail(message: string): void {
    if (this.error == null) this.error = message;
    const parent = this.parent;
    if (parent != null) parent.fail(message);
  }

  /** Moves to the next attribute; false at the end or after an error. */
  next(): bool {
    if (this.error != null || this.pos >= this.end) return false;
    const left = this.end - this.pos;
    if (left < NLA_HDRLEN) {
      this.fail(
        "truncated attribute header at offset " + this.pos.toString() + ": " + left.toString() +
          " bytes left",
      );
      return false;
    }
    const at = this.buf.dataStart + <usize> this.pos;
    const length = <i32> load<u16>(at);
    this.rawType = load<u16>(at, 2);
    if (length < NLA_HDRLEN || length > left) {
      const why = length < NLA_HDRLEN
        ? ", shorter than its header"
        : ", past the end (" + left.toString() + " bytes left)";
      this.fail(
        "attribute " + this.type().toString() + " at offset " + this.pos.toString() + " has length " +
          length.toString() + why,
      );
      return false;
    }
    this.start = this.pos + NLA_HDRLEN;
    this.len = length - NLA_HDRLEN;
    // The last attribute's padding may be missing; never step past the end.
    this.pos = min(this.pos + nlaAlign(length), this.end);
    return true;
  }

  /** Attribute type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits. */
  type(): u16 {
    return this.rawType & NLA_TYPE_MASK;
  }

  /** Only the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits of the type. */
  typeFlags(): u16 {
    return this.rawType & ~NLA_TYPE_MASK;
  }

  /** Payload length of the current attribute. */
  length(): i32 {
    return this.len;
  }

  /** Offset of the current attribute's payload within `buf`. */
  payloadOffset(): i32 {
    return this.start;
  }

  /**
   * True when the payload is exactly `size` bytes; otherwise records "attribute T is not a NAME; length L".
   */
  private expect(size: i32, name: string): bool {
    if (this.error != null) return false;
    if (this.len == size) return true;
    this.fail(
      "attribute " + this.type().toString() + " is not a " + name + "; length " + this.len.toString(),
    );
    return false;
  }

  private payload(): usize {
    return this.buf.dataStart + <usize> this.start;
  }

  u8(): u8 {
    return this.expect(1, "u8") ? load<u8>(this.payload()) : 0;
  }

  u16(): u16 {
    return this.expect(2, "u16") ? load<u16>(this.payload()) : 0;
  }

  u32(): u32 {
    return this.expect(4, "u32") ? load<u32>(this.payload()) : 0;
  }

  u64(): u64 {
    return this.expect(8, "u64") ? load<u64>(this.payload()) : 0;
  }

  i32(): i32 {
    return this.expect(4, "i32") ? load<i32>(this.payload()) : 0;
  }

  /** NLA_FLAG: true when present with an empty payload. */
  flag(): bool {
    return this.expect(0, "flag");
  }

  /** A string up to its first NUL (the kernel's strings are NUL-terminated; a missing NUL is tolerated). */
  string(): string {
    if (this.error != null) return "";
    let length = 0;
    const at = this.payload();
    while (length < this.len && load<u8>(at + <usize> length) != 0) length++;
    return String.UTF8.decodeUnsafe(at, <usize> length, false);
  }

  /** A copy of the payload. */
  bytes(): Uint8Array {
    if (this.error != null) return new Uint8Array(0);
    return this.buf.slice(this.start, this.start + this.len);
  }

  /** A decoder over the current payload; its errors are recorded here too. */
  nested(): AttributeDecoder {
    const child = new AttributeDecoder(this.buf, this.start, this.start + this.len, this);
    if (this.error != null) child.error = this.error;
    return child;
  }

  /** A ByteReader over the current payload, for attributes that carry a struct. */
  reader(): ByteReader {
    return new ByteReader(this.buf, this.start, this.error != null ? this.start : this.start + this.len);
  }
}
