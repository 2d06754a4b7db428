// Netlink messages: struct nlmsghdr, a builder for requests and a decoder that
// walks a received datagram (one datagram may hold several messages, e.g. the
// parts of a multipart dump).

import { NLMSG_HDRLEN, nlmsgAlign } from "./align";
import { AttributeEncoder } from "./attribute";
import { ByteReader, ByteWriter } from "./buffer";

/** struct nlmsghdr from linux/netlink.h. */
export class NlMsgHdr {
  /** nlmsg_len: header plus payload, padding of the payload excluded. */
  length: u32 = 0;
  /** nlmsg_type: NLMSG_* or a family's RTM_*. */
  type: u16 = 0;
  /** nlmsg_flags: NLM_F_*. */
  flags: u16 = 0;
  /** nlmsg_seq: chosen by the requester, echoed by the kernel. */
  seq: u32 = 0;
  /** nlmsg_pid: the sender's port id (0 for the kernel in requests we send). */
  pid: u32 = 0;

  /** Reads a header at offset `at`; the caller has checked that 16 bytes are there. */
  static read(buf: Uint8Array, at: i32): NlMsgHdr {
    const r = new ByteReader(buf, at);
    const h = new NlMsgHdr();
    h.length = r.u32();
    h.type = r.u16();
    h.flags = r.u16();
    h.seq = r.u32();
    h.pid = r.u32();
    return h;
  }
}

/** A decoded value or the reason it could not be decoded. */
export class Decoded<T> {
  constructor(
    public value: T | null,
    public error: string | null,
  ) {}

  static ok<T>(value: T): Decoded<T> {
    return new Decoded<T>(value, null);
  }

  static fail<T>(error: string): Decoded<T> {
    return new Decoded<T>(null, error);
  }
}

/**
 * Builds one request: header, then the family's fixed struct written through
 * `writer`, then attributes through `attrs`; build() patches nlmsg_len.
 *
 * @example
 * ```ts
 * import { IFLA_IFNAME, NLM_F_REQUEST, RTM_GETLINK } from "./constants";
 * import { MessageBuilder, NlMsgHdr } from "./message";
 *
 * // What `ip link show eth0` asks: RTM_GETLINK, a zeroed struct ifinfomsg, IFLA_IFNAME.
 * const b = new MessageBuilder(RTM_GETLINK, NLM_F_REQUEST, 1);
 * b.writer.zeros(16);
 * b.attrs.string(IFLA_IFNAME, "eth0");
 * const request = b.build()!;
 * const header = NlMsgHdr.read(request, 0);
 * assert(request.length == 16 + 16 + 12 && header.length == <u32> request.length);
 * assert(header.type == RTM_GETLINK && header.seq == 1);
 * ```
 */
export class MessageBuilder {
  writer: ByteWriter;
  attrs: AttributeEncoder;

  constructor(type: u16, flags: u16, seq: u32 = 0, pid: u32 = 0) {
    const w = new ByteWriter();
    w.u32(0); // nlmsg_len, patched by build()
    w.u16(type);
    w.u16(flags);
    w.u32(seq);
    w.u32(pid);
    this.writer = w;
    this.attrs = new AttributeEncoder(w);
  }

  /** First encoding error (from the attributes), or null. */
  get error(): string | null {
    return this.attrs.error;
  }

  /** The finished message, or null when an attribute could not be encoded (see `error`). */
  build(): Uint8Array | null {
    if (this.attrs.error == null && this.attrs.openNestCount > 0) this.attrs.finish();
    if (this.attrs.error != null) return null;
    this.writer.setU32(0, <u32> this.writer.length);
    return this.writer.toBytes();
  }
}

/**
 * Rewrites nlmsg_seq of an encoded message (the connection numbers requests as it sends them).
 *
 * @example
 * ```ts
 * import { NLM_F_ACK, NLM_F_REQUEST, RTM_GETLINK } from "./constants";
 * import { addMessageFlags, MessageBuilder, NlMsgHdr, setMessageSeq } from "./message";
 *
 * const request = new MessageBuilder(RTM_GETLINK, NLM_F_REQUEST).build()!;
 * setMessageSeq(request, 42);
 * addMessageFlags(request, NLM_F_ACK);
 * const header = NlMsgHdr.read(request, 0);
 * assert(header.seq == 42 && header.flags == (NLM_F_REQUEST | NLM_F_ACK));
 * ```
 */
export function setMessageSeq(message: Uint8Array, seq: u32): void {
  if (message.length >= NLMSG_HDRLEN) store<u32>(message.dataStart, seq, 8);
}

/** ORs flags into nlmsg_flags of an encoded message. */
export function addMessageFlags(message: Uint8Array, flags: u16): void {
  if (message.length >= NLMSG_HDRLEN) {
    store<u16>(message.dataStart, load<u16>(message.dataStart, 6) | flags, 6);
  }
}

/** One received message: its header and a copy of its payload. */
export class Message {
  constructor(
    public header: NlMsgHdr,
    public payload: Uint8Array,
  ) {}
}

/**
 * Walks the messages of one datagram: `while (d.next()) { d.header; d.payload() }`.
 * A header that is cut short, or an nlmsg_len shorter than a header or longer
 * than what is left of the datagram ("misleading length"), stops the walk with
 * an error; nothing past it is trusted.
 *
 * @example
 * ```ts
 * import { NLM_F_MULTI, NLMSG_DONE, RTM_NEWLINK } from "./constants";
 * import { MessageBuilder, MessageDecoder } from "./message";
 *
 * // One datagram of a dump: a link (a 16-byte ifinfomsg), then NLMSG_DONE.
 * const link = new MessageBuilder(RTM_NEWLINK, NLM_F_MULTI, 7);
 * link.writer.zeros(16);
 * const done = new MessageBuilder(NLMSG_DONE, NLM_F_MULTI, 7);
 * done.writer.i32(0);
 * const first = link.build()!;
 * const second = done.build()!;
 * const datagram = new Uint8Array(first.length + second.length);
 * datagram.set(first);
 * datagram.set(second, first.length);
 *
 * const d = new MessageDecoder(datagram);
 * const types = new Array<u16>();
 * while (d.next()) types.push(d.header.type);
 * assert(d.error == null && types.length == 2 && types[0] == RTM_NEWLINK && types[1] == NLMSG_DONE);
 *
 * const cut = new MessageDecoder(datagram, first.length + 8); // the second header cut short
 * while (cut.next()) {}
 * assert(cut.error == "truncated message header at offset 32: 8 bytes left");
 * ```
 */
export class MessageDecoder {
  header: NlMsgHdr = new NlMsgHdr();
  error: string | null = null;
  /** Offset of the current message within the datagram. */
  offset: i32 = 0;
  private pos: i32 = 0;
  private end: i32;

  /** `length` limits the walk to the first bytes of buf (the bytes a recv returned). */
  constructor(public buf: Uint8Array, length: i32 = -1) {
    this.end = length < 0 || length > buf.length ? buf.length : length;
  }

  next(): bool {
    if (this.error != null || this.pos >= this.end) return false;
    const left = this.end - this.pos;
    if (left < NLMSG_HDRLEN) {
      this.error = "truncated message header at offset " + this.pos.toString() + ": " + left.toString() +
        " bytes left";
      return false;
    }
    const header = NlMsgHdr.read(this.buf, this.pos);
    if (header.length < <u32> NLMSG_HDRLEN || header.length > <u32> left) {
      const why = header.length < <u32> NLMSG_HDRLEN
        ? ", shorter than its header"
        : ", past the end of the datagram (" + left.toString() + " bytes left)";
      this.error = "message at offset " + this.pos.toString() + " has nlmsg_len " + header.length.toString() +
        why;
      return false;
    }
    this.header = header;
    this.offset = this.pos;
    this.pos = min(this.pos + nlmsgAlign(<i32> header.length), this.end);
    return true;
  }

  /** Offset of the current payload within buf. */
  get payloadStart(): i32 {
    return this.offset + NLMSG_HDRLEN;
  }

  /** Offset just past the current payload within buf. */
  get payloadEnd(): i32 {
    return this.offset + <i32> this.header.length;
  }

  /** A view of the current payload (shares buf: copy it before buf is reused). */
  payload(): Uint8Array {
    return this.buf.subarray(this.payloadStart, this.payloadEnd);
  }

  /** The current message with a copied payload. */
  message(): Message {
    return new Message(this.header, this.buf.slice(this.payloadStart, this.payloadEnd));
  }
}
