/**
 * Loads the netlink test module (cni-wasm/test/modules/netlink.ts) wired to
 * a fake kernel, in the style of mdlayher/netlink's nltest: the module's
 * `macvtap_host` netlink imports are served by JS, which records every request
 * and answers with datagrams a test chose (often recorded golden bytes).
 *
 * Requires --allow-read/--allow-write on the repository and --allow-env.
 *
 * @module
 */
import { loadModule } from "../load_module.ts";

/** The test module's exports (see modules/netlink.ts for what each returns). */
export interface NetlinkModule {
  memory: WebAssembly.Memory;
  encodeError(): string;
  describe(datagram: Uint8Array): string;
  errorText(datagram: Uint8Array, op: string): string;
  walkAttributes(bytes: Uint8Array, start: number): string;
  readAttribute(bytes: Uint8Array, getter: string): string;
  walkMessages(datagram: Uint8Array): string;
  encodeAttributes(opsJson: string): Uint8Array;
  encodeLink(type: number, flags: number, seq: number, paramsJson: string): Uint8Array;
  encodeAddress(type: number, flags: number, seq: number, paramsJson: string): Uint8Array;
  encodeRoute(type: number, flags: number, seq: number, paramsJson: string): Uint8Array;
  countLinks(datagram: Uint8Array): number;
  encodeMacvtapCreate(): number;
  countListedLinks(): number;
  linkIndexByName(name: string): number;
  decoderNames(): string;
  fuzzDecode(name: string, bytes: Uint8Array): string;
  connOpen(netns: number, groups: number): string;
  connSelect(index: number): void;
  connClose(): void;
  netnsOpen(path: string): number;
  netnsClose(handle: number): number;
  connSetTimeout(ms: number): void;
  connRequest(message: Uint8Array, op: string): string;
  connCall(message: Uint8Array, op: string): string;
  connDump(message: Uint8Array, op: string): string;
  connRecvEvent(timeoutMs: number): string;
  rtnlGetLinkByName(name: string): string;
  rtnlGetLinkByIndex(index: number): string;
  rtnlListLinks(): string;
  rtnlListAddresses(family: number, index: number): string;
  rtnlListRoutes(family: number): string;
  rtnlCreateMacvlan(kind: string, name: string, lowerIndex: number, mode: string, index: number): string;
  rtnlCreateLink(paramsJson: string): string;
  rtnlSetLink(paramsJson: string): string;
  rtnlDeleteLink(index: number): string;
  rtnlAddAddress(paramsJson: string): string;
  rtnlDeleteAddress(paramsJson: string): string;
  rtnlAddRoute(paramsJson: string): string;
}

/** What nl_recv hands out next: a datagram, or a negated errno to return instead. */
export type Delivery = Uint8Array | number;

/** Answers one request with what the module will receive next. */
export type Responder = (request: Uint8Array, kernel: FakeKernel) => Delivery[];

// Negated errnos the fake host returns (linux/errno.h).
const EAGAIN = 11;

/** The `macvtap_host` netlink imports, served from memory. */
export class FakeKernel {
  /** Port id reported by nl_port; above 2^31 like the kernel's ids for a process's second socket. */
  port = 0xfffff123;
  /** Every request the module sent, in order. */
  readonly sent: Uint8Array[] = [];

  /**
   * Request `index` (0 = the first) the module sent.
   *
   * @throws Error when the module sent fewer requests
   */
  request(index: number): Uint8Array {
    const request = this.sent[index];
    if (request === undefined) {
      throw new Error(`the module sent ${this.sent.length} requests, not ${index + 1}`);
    }
    return request;
  }
  /** Datagrams (or negated errnos) waiting to be received; empty means nl_recv times out (-EAGAIN). */
  readonly queue: Delivery[] = [];
  /** (netns, groups) of every nl_open. */
  readonly opened: Array<{ netns: number; groups: number }> = [];
  /** Number of nl_close calls. */
  closed = 0;
  /** When set, nl_open fails with -openErrno. */
  openErrno = 0;
  /** Builds the answer to each request. */
  responder: Responder = () => [];
  private memory: WebAssembly.Memory | null = null;

  /** Connects the fake to the module's memory (after instantiation). */
  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  private bytes(): Uint8Array {
    if (!this.memory) throw new Error("FakeKernel used before attach(memory)");
    return new Uint8Array(this.memory.buffer);
  }

  /** The import object to pass to the test module. */
  imports(): Record<string, Record<string, (...args: number[]) => number>> {
    return {
      macvtap_host: {
        netns_open: () => 10,
        netns_close: () => 0,
        nl_open: (netns, groups) => {
          this.opened.push({ netns, groups: groups >>> 0 });
          return this.openErrno ? -this.openErrno : 3;
        },
        nl_port: (_sock, out) => {
          new DataView(this.memory!.buffer).setUint32(out, this.port, true);
          return 0;
        },
        nl_send: (_sock, ptr, len) => {
          const request = this.bytes().slice(ptr, ptr + len);
          this.sent.push(request);
          this.queue.push(...this.responder(request, this));
          return len;
        },
        nl_recv: (_sock, ptr, cap, _timeoutMs) => {
          const datagram = this.queue.shift();
          if (datagram === undefined) return -EAGAIN;
          if (typeof datagram === "number") return datagram;
          const n = Math.min(cap, datagram.length);
          this.bytes().set(datagram.subarray(0, n), ptr);
          return n;
        },
        nl_close: () => {
          this.closed++;
          return 0;
        },
      },
    };
  }
}

/** A fresh test-module instance bound to a fresh fake kernel. */
export async function loadNetlink(): Promise<{ nl: NetlinkModule; kernel: FakeKernel }> {
  const kernel = new FakeKernel();
  const nl = await loadModule<NetlinkModule>("netlink", kernel.imports());
  kernel.attach(nl.memory);
  return { nl, kernel };
}

// ---- building kernel answers ----

/** struct nlmsghdr fields of a message. */
export interface Header {
  length: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** Reads the nlmsghdr at `offset`. */
export function headerOf(message: Uint8Array, offset = 0): Header {
  const v = new DataView(message.buffer, message.byteOffset);
  return {
    length: v.getUint32(offset, true),
    type: v.getUint16(offset + 4, true),
    flags: v.getUint16(offset + 6, true),
    seq: v.getUint32(offset + 8, true),
    pid: v.getUint32(offset + 12, true),
  };
}

/** A copy of a datagram with nlmsg_seq and nlmsg_pid of every message replaced. */
export function restamp(datagram: Uint8Array, seq: number, pid: number): Uint8Array {
  const copy = datagram.slice();
  const v = new DataView(copy.buffer);
  for (let at = 0; at + 16 <= copy.length;) {
    const length = v.getUint32(at, true);
    v.setUint32(at + 8, seq, true);
    v.setUint32(at + 12, pid, true);
    if (length < 16) break;
    at += (length + 3) & ~3;
  }
  return copy;
}

/** One message: header + payload, padded to 4 bytes (nlmsg_len excludes the padding). */
export function message(
  type: number,
  flags: number,
  seq: number,
  pid: number,
  payload: Uint8Array,
): Uint8Array {
  const length = 16 + payload.length;
  const out = new Uint8Array((length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint32(0, length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, pid, true);
  out.set(payload, 16);
  return out;
}

/** One attribute with padding. */
export function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + payload.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

/** Byte arrays joined. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A little-endian u32 / i32. */
export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

/** NUL-terminated UTF-8. */
export function cstring(text: string): Uint8Array {
  return concat(new TextEncoder().encode(text), new Uint8Array(1));
}

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_MULTI = 2;
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;

/** What the kernel sends for `request`: an ACK (errno 0) or an error, capped, with optional ext-ack TLVs. */
export function ackFor(
  request: Uint8Array,
  pid: number,
  errno = 0,
  extAck: { message?: string; offset?: number } = {},
): Uint8Array {
  const tlvs: Uint8Array[] = [];
  if (extAck.message !== undefined) tlvs.push(attr(1, cstring(extAck.message)));
  if (extAck.offset !== undefined) tlvs.push(attr(2, u32(extAck.offset)));
  const flags = NLM_F_CAPPED | (tlvs.length ? NLM_F_ACK_TLVS : 0);
  const payload = concat(u32(-errno), request.subarray(0, 16), ...tlvs);
  return message(NLMSG_ERROR, flags, headerOf(request).seq, pid, payload);
}

/** The NLMSG_DONE that ends a dump (errno 0 = complete). */
export function doneFor(request: Uint8Array, pid: number, errno = 0): Uint8Array {
  return message(NLMSG_DONE, NLM_F_MULTI, headerOf(request).seq, pid, u32(-errno));
}
