// Interface addresses: struct ifaddrmsg plus IFA_* attributes, for
// RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR (IPv4 and IPv6) and their replies.

import { AttributeDecoder } from "./attribute";
import { ByteReader } from "./buffer";
import { AF_INET, IFA_ADDRESS, IFA_BROADCAST, IFA_FLAGS, IFA_LABEL, IFA_LOCAL } from "./constants";
import { Decoded, MessageBuilder } from "./message";

/** sizeof(struct ifaddrmsg): u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index. */
export const IFADDRMSG_LEN: i32 = 8;

/**
 * One interface address.
 *
 * @example
 * ```ts
 * import { AddressMessage } from "./address";
 * import { AF_INET, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, RTM_NEWADDR } from "./constants";
 * import { MessageDecoder } from "./message";
 *
 * // `ip addr add 10.0.0.2/24 dev <ifindex 3>`: IPv4 sends the address as IFA_LOCAL and IFA_ADDRESS.
 * const ip = new Uint8Array(4);
 * ip[0] = 10;
 * ip[3] = 2;
 * const add = new AddressMessage();
 * add.family = AF_INET;
 * add.prefixLen = 24;
 * add.index = 3;
 * add.local = ip;
 * add.address = ip;
 * const request = add.encode(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).value!;
 *
 * const d = new MessageDecoder(request);
 * d.next();
 * const back = AddressMessage.decode(d.payload()).value!;
 * assert(back.index == 3 && back.prefixLen == 24 && back.local![0] == 10 && back.local![3] == 2);
 * ```
 */
export class AddressMessage {
  /** ifa_family: AF_INET or AF_INET6. */
  family: u8 = AF_INET;
  /** ifa_prefixlen. */
  prefixLen: u8 = 0;
  /**
   * IFA_F_* flags. ifa_flags holds only the low 8 bits; IFA_FLAGS carries all
   * 32 and wins when present. Encoding writes IFA_FLAGS only when a bit above
   * 0xff is set, as iproute2 does.
   */
  flags: u32 = 0;
  /** ifa_scope: RT_SCOPE_*. */
  scope: u8 = 0;
  /** ifa_index: ifindex of the link. */
  index: u32 = 0;
  /** IFA_ADDRESS: the prefix address (the peer on point-to-point links). */
  address: Uint8Array | null = null;
  /** IFA_LOCAL: the local address (IPv4; for IPv6 the kernel sends only IFA_ADDRESS). */
  local: Uint8Array | null = null;
  /** IFA_BROADCAST (IPv4). */
  broadcast: Uint8Array | null = null;
  /** IFA_LABEL (IPv4), e.g. "eth0" or "eth0:1". */
  label: string | null = null;

  /**
   * Encodes a request in iproute2's attribute order: IFA_LOCAL, IFA_BROADCAST, IFA_ADDRESS, IFA_LABEL,
   * IFA_FLAGS.
   */
  encode(msgType: u16, flags: u16, seq: u32 = 0): Decoded<Uint8Array> {
    const b = new MessageBuilder(msgType, flags, seq);
    const w = b.writer;
    w.u8(this.family);
    w.u8(this.prefixLen);
    w.u8(<u8> (this.flags & 0xff));
    w.u8(this.scope);
    w.u32(this.index);
    const e = b.attrs;
    e.optionalBytes(IFA_LOCAL, this.local);
    e.optionalBytes(IFA_BROADCAST, this.broadcast);
    e.optionalBytes(IFA_ADDRESS, this.address);
    const label = this.label;
    if (label != null) e.string(IFA_LABEL, label);
    if (this.flags > 0xff) e.u32(IFA_FLAGS, this.flags);
    const bytes = b.build();
    if (bytes == null) return Decoded.fail<Uint8Array>("cannot encode address: " + b.error!);
    return Decoded.ok<Uint8Array>(bytes);
  }

  /** Decodes an RTM_NEWADDR / RTM_DELADDR payload; IFA_CACHEINFO and other attributes are skipped. */
  static decode(payload: Uint8Array): Decoded<AddressMessage> {
    const a = new AddressMessage();
    const r = new ByteReader(payload);
    a.family = r.u8("ifaddrmsg");
    a.prefixLen = r.u8("ifaddrmsg");
    a.flags = r.u8("ifaddrmsg");
    a.scope = r.u8("ifaddrmsg");
    a.index = r.u32("ifaddrmsg");
    if (r.error != null) return Decoded.fail<AddressMessage>("address message: " + r.error!);
    const d = new AttributeDecoder(payload, IFADDRMSG_LEN);
    while (d.next()) {
      switch (d.type()) {
        case IFA_ADDRESS:
          a.address = d.bytes();
          break;
        case IFA_LOCAL:
          a.local = d.bytes();
          break;
        case IFA_BROADCAST:
          a.broadcast = d.bytes();
          break;
        case IFA_LABEL:
          a.label = d.string();
          break;
        case IFA_FLAGS:
          a.flags = d.u32();
          break;
      }
    }
    if (d.error != null) return Decoded.fail<AddressMessage>("address message: " + d.error!);
    return Decoded.ok<AddressMessage>(a);
  }
}
