// Links: struct ifinfomsg plus the IFLA_* attributes the CNI and the device
// plugin use, for RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK / RTM_SETLINK requests,
// their replies, and RTMGRP_LINK multicast events.
//
// Optional numbers are accessors over a "present" bitmask keyed by the IFLA_*
// constant (link_numbers.ts), so "not set" differs from zero: `link.mtu = 1400`
// marks IFLA_MTU and `link.has(IFLA_MTU)` asks. Strings and byte arrays are null
// when absent.

import { AttributeDecoder, AttributeEncoder } from "./attribute";
import { ByteReader } from "./buffer";
import {
  AF_UNSPEC,
  IFF_PROMISC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_BROADCAST,
  IFLA_CARRIER,
  IFLA_EXT_MASK,
  IFLA_GROUP,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MAX_MTU,
  IFLA_MIN_MTU,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_NET_NS_PID,
  IFLA_NEW_IFINDEX,
  IFLA_NUM_RX_QUEUES,
  IFLA_NUM_TX_QUEUES,
  IFLA_OPERSTATE,
  IFLA_PARENT_DEV_BUS_NAME,
  IFLA_PARENT_DEV_NAME,
  IFLA_PERM_ADDRESS,
  IFLA_PROMISCUITY,
  IFLA_TXQLEN,
} from "./constants";
import { LinkInfo } from "./linkinfo";
import { NumericLinkAttributes } from "./link_numbers";
import { Decoded, MessageBuilder } from "./message";

/** sizeof(struct ifinfomsg): u8 family, u8 pad, u16 type, i32 index, u32 flags, u32 change. */
export const IFINFOMSG_LEN: i32 = 16;

/**
 * One link as rtnetlink describes it.
 *
 * @example
 * ```ts
 * import { IFF_UP, IFLA_MTU, IFLA_TXQLEN, NLM_F_ACK, NLM_F_REQUEST, RTM_NEWLINK } from "./constants";
 * import { LinkMessage } from "./link";
 * import { MessageDecoder } from "./message";
 *
 * // `ip link set dev <ifindex 7> mtu 9000 up`, encoded and read back.
 * const change = new LinkMessage();
 * change.index = 7;
 * change.mtu = 9000;
 * change.setUp(true);
 * const request = change.encode(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).value!;
 *
 * const d = new MessageDecoder(request);
 * d.next();
 * const link = LinkMessage.decode(d.payload()).value!;
 * assert(link.index == 7 && link.mtu == 9000 && link.has(IFLA_MTU));
 * assert(!link.has(IFLA_TXQLEN) && link.name == null); // not set: absent, not zero
 * assert((link.flags & IFF_UP) != 0 && (link.change & IFF_UP) != 0);
 * ```
 */
export class LinkMessage extends NumericLinkAttributes {
  // ---- struct ifinfomsg ----
  /** ifi_family: AF_UNSPEC for links. */
  family: u8 = AF_UNSPEC;
  /** ifi_type: ARPHRD_* (replies). */
  type: u16 = 0;
  /** ifi_index: the link's ifindex; in a NEWLINK create, a requested ifindex (0 = kernel picks). */
  index: i32 = 0;
  /** ifi_flags: IFF_*. */
  flags: u32 = 0;
  /** ifi_change: which IFF_* bits of `flags` a request changes. */
  change: u32 = 0;

  // ---- attributes that are strings or bytes (null when absent) ----
  /** IFLA_IFNAME. */
  name: string | null = null;
  /** IFLA_ADDRESS: the MAC. */
  address: Uint8Array | null = null;
  /** IFLA_BROADCAST. */
  broadcast: Uint8Array | null = null;
  /** IFLA_PERM_ADDRESS: a NIC's burned-in MAC (replies). */
  permAddress: Uint8Array | null = null;
  /** IFLA_IFALIAS. */
  alias: string | null = null;
  /**
   * IFLA_PARENT_DEV_NAME: the bus device behind a physical NIC, e.g. "virtio2" or "0000:3b:00.0" (replies).
   */
  parentDevName: string | null = null;
  /** IFLA_PARENT_DEV_BUS_NAME: that device's bus, e.g. "virtio" or "pci" (replies). */
  parentBusName: string | null = null;
  /** IFLA_LINKINFO: driver kind and data. */
  linkInfo: LinkInfo | null = null;

  /**
   * True when numeric attribute `attr` (IFLA_MTU ...) was set or decoded, or string/bytes `attr` is non-null.
   */
  has(attr: u16): bool {
    switch (attr) {
      case IFLA_IFNAME:
        return this.name != null;
      case IFLA_ADDRESS:
        return this.address != null;
      case IFLA_BROADCAST:
        return this.broadcast != null;
      case IFLA_PERM_ADDRESS:
        return this.permAddress != null;
      case IFLA_IFALIAS:
        return this.alias != null;
      case IFLA_PARENT_DEV_NAME:
        return this.parentDevName != null;
      case IFLA_PARENT_DEV_BUS_NAME:
        return this.parentBusName != null;
      case IFLA_LINKINFO:
        return this.linkInfo != null;
    }
    return this.hasNumber(attr);
  }

  /** Sets or clears IFF_UP, marking it in `change` so the kernel applies it. */
  setUp(up: bool): LinkMessage {
    return this.setFlag(IFF_UP, up);
  }

  /** Sets or clears IFF_PROMISC (what `ip link set promisc on|off` sends). */
  setPromisc(on: bool): LinkMessage {
    return this.setFlag(IFF_PROMISC, on);
  }

  private setFlag(flag: u32, on: bool): LinkMessage {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
    this.change |= flag;
    return this;
  }

  /** Kind from IFLA_LINKINFO, or null. */
  get kind(): string | null {
    const info = this.linkInfo;
    return info == null ? null : info.kind;
  }

  /**
   * Encodes a request: ifinfomsg, then every attribute that is set, in the order
   * iproute2 uses for the same request (so golden bytes compare exactly).
   * Reply-only attributes (IFLA_PERM_ADDRESS ...) are written too when set; the
   * kernel refuses some of them in requests, so callers building requests leave them unset.
   */
  encode(msgType: u16, flags: u16, seq: u32 = 0): Decoded<Uint8Array> {
    const b = new MessageBuilder(msgType, flags, seq);
    const w = b.writer;
    w.u8(this.family);
    w.u8(0); // __ifi_pad
    w.u16(this.type);
    w.i32(this.index);
    w.u32(this.flags);
    w.u32(this.change);
    this.encodeAttributes(b.attrs);
    const bytes = b.build();
    if (bytes == null) return Decoded.fail<Uint8Array>("cannot encode link: " + b.error!);
    return Decoded.ok<Uint8Array>(bytes);
  }

  private encodeAttributes(e: AttributeEncoder): void {
    if (this.has(IFLA_LINK)) e.u32(IFLA_LINK, this.link);
    e.optionalBytes(IFLA_ADDRESS, this.address);
    e.optionalBytes(IFLA_BROADCAST, this.broadcast);
    this.encodeNumbers(e, [IFLA_MTU, IFLA_TXQLEN]);
    e.optionalString(IFLA_IFNAME, this.name);
    this.encodeNumbers(e, [
      IFLA_MASTER,
      IFLA_OPERSTATE,
      IFLA_CARRIER,
      IFLA_GROUP,
      IFLA_PROMISCUITY,
      IFLA_NUM_TX_QUEUES,
      IFLA_NUM_RX_QUEUES,
      IFLA_LINK_NETNSID,
      IFLA_MIN_MTU,
      IFLA_MAX_MTU,
    ]);
    e.optionalString(IFLA_IFALIAS, this.alias);
    e.optionalBytes(IFLA_PERM_ADDRESS, this.permAddress);
    e.optionalString(IFLA_PARENT_DEV_NAME, this.parentDevName);
    e.optionalString(IFLA_PARENT_DEV_BUS_NAME, this.parentBusName);
    this.encodeNumbers(e, [IFLA_NET_NS_FD, IFLA_NET_NS_PID, IFLA_NEW_IFINDEX, IFLA_EXT_MASK]);
    const info = this.linkInfo;
    if (info != null) info.encode(e);
  }

  /**
   * Decodes an RTM_NEWLINK / RTM_DELLINK payload (a reply or an event).
   * Attributes we do not use (stats, AF_SPEC, XDP ...) are skipped.
   */
  static decode(payload: Uint8Array): Decoded<LinkMessage> {
    const link = new LinkMessage();
    const r = new ByteReader(payload);
    link.family = r.u8("ifinfomsg");
    r.skip(1, "ifinfomsg");
    link.type = r.u16("ifinfomsg");
    link.index = r.i32("ifinfomsg");
    link.flags = r.u32("ifinfomsg");
    link.change = r.u32("ifinfomsg");
    if (r.error != null) return Decoded.fail<LinkMessage>("link message: " + r.error!);
    const d = new AttributeDecoder(payload, IFINFOMSG_LEN);
    while (d.next()) link.decodeAttribute(d);
    if (d.error != null) return Decoded.fail<LinkMessage>("link message: " + d.error!);
    return Decoded.ok<LinkMessage>(link);
  }

  private decodeAttribute(d: AttributeDecoder): void {
    switch (d.type()) {
      case IFLA_IFNAME:
        this.name = d.string();
        break;
      case IFLA_ADDRESS:
        this.address = d.bytes();
        break;
      case IFLA_BROADCAST:
        this.broadcast = d.bytes();
        break;
      case IFLA_PERM_ADDRESS:
        this.permAddress = d.bytes();
        break;
      case IFLA_IFALIAS:
        this.alias = d.string();
        break;
      case IFLA_PARENT_DEV_NAME:
        this.parentDevName = d.string();
        break;
      case IFLA_PARENT_DEV_BUS_NAME:
        this.parentBusName = d.string();
        break;
      case IFLA_LINKINFO:
        this.linkInfo = LinkInfo.decode(d.nested());
        break;
      default:
        this.decodeNumber(d);
    }
  }
}
