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

/** Rewrites nlmsg_seq of an encoded message (the connection numbers requests as it sends them). */
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
