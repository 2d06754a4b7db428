// The numeric IFLA_* attributes of a link, kept as values by attribute type
// with a "present" bitmask, so "not set" differs from zero: `link.mtu = 1400`
// marks IFLA_MTU and `link.has(IFLA_MTU)` asks. LinkMessage (link.ts) adds the
// ifinfomsg header, the string and byte attributes, and the wire format.

import { AttributeDecoder, AttributeEncoder } from "./attribute";
import {
  IFLA_CARRIER,
  IFLA_EXT_MASK,
  IFLA_GROUP,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
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
  IFLA_PROMISCUITY,
  IFLA_TXQLEN,
} from "./constants";

/** The numeric attributes of a link, each valid once set or decoded. */
export class NumericLinkAttributes {
  private numbers: StaticArray<u32> = new StaticArray<u32>(64);
  private present: u64 = 0;

  /** True when numeric attribute `attr` (IFLA_MTU ...) was set or decoded. */
  hasNumber(attr: u16): bool {
    return attr < 64 && (this.present & (<u64> 1 << <u64> attr)) != 0;
  }

  /** Forgets numeric attribute `attr` (it is no longer encoded). */
  unset(attr: u16): void {
    if (attr < 64) this.present &= ~(<u64> 1 << <u64> attr);
  }

  protected num(attr: u16): u32 {
    return this.numbers[attr];
  }

  protected setNum(attr: u16, value: u32): void {
    this.numbers[attr] = value;
    this.present |= <u64> 1 << <u64> attr;
  }

  /** IFLA_MTU. */
  get mtu(): u32 {
    return this.num(IFLA_MTU);
  }
  set mtu(value: u32) {
    this.setNum(IFLA_MTU, value);
  }
  /** IFLA_LINK: ifindex of the lower device (a macvtap's parent, a veth's peer). */
  get link(): u32 {
    return this.num(IFLA_LINK);
  }
  set link(value: u32) {
    this.setNum(IFLA_LINK, value);
  }
  /** IFLA_MASTER: ifindex of the bridge/bond this link is a port of; 0 in a request detaches it. */
  get master(): u32 {
    return this.num(IFLA_MASTER);
  }
  set master(value: u32) {
    this.setNum(IFLA_MASTER, value);
  }
  /** IFLA_TXQLEN. */
  get txqlen(): u32 {
    return this.num(IFLA_TXQLEN);
  }
  set txqlen(value: u32) {
    this.setNum(IFLA_TXQLEN, value);
  }
  /** IFLA_OPERSTATE: IF_OPER_*. */
  get operstate(): u8 {
    return <u8> this.num(IFLA_OPERSTATE);
  }
  set operstate(value: u8) {
    this.setNum(IFLA_OPERSTATE, value);
  }
  /** IFLA_CARRIER: 1 when the lower layer has carrier. */
  get carrier(): u8 {
    return <u8> this.num(IFLA_CARRIER);
  }
  set carrier(value: u8) {
    this.setNum(IFLA_CARRIER, value);
  }
  /** IFLA_NET_NS_FD (requests): move the link into the netns this fd (of the sending process) refers to. */
  get netnsFd(): i32 {
    return <i32> this.num(IFLA_NET_NS_FD);
  }
  set netnsFd(value: i32) {
    this.setNum(IFLA_NET_NS_FD, <u32> value);
  }
  /**
   * IFLA_NEW_IFINDEX: with netnsFd, the ifindex the link must have in the target netns. The kernel then
   * refuses the move (EBUSY) when that netns already uses it, instead of renumbering the link there.
   */
  get newIfindex(): i32 {
    return <i32> this.num(IFLA_NEW_IFINDEX);
  }
  set newIfindex(value: i32) {
    this.setNum(IFLA_NEW_IFINDEX, <u32> value);
  }
  /** IFLA_NET_NS_PID (requests): move the link into the netns of this pid. */
  get netnsPid(): u32 {
    return this.num(IFLA_NET_NS_PID);
  }
  set netnsPid(value: u32) {
    this.setNum(IFLA_NET_NS_PID, value);
  }
  /** IFLA_GROUP. */
  get group(): u32 {
    return this.num(IFLA_GROUP);
  }
  set group(value: u32) {
    this.setNum(IFLA_GROUP, value);
  }
  /** IFLA_PROMISCUITY: the promiscuity counter (replies). */
  get promiscuity(): u32 {
    return this.num(IFLA_PROMISCUITY);
  }
  set promiscuity(value: u32) {
    this.setNum(IFLA_PROMISCUITY, value);
  }
  /** IFLA_NUM_TX_QUEUES. */
  get numTxQueues(): u32 {
    return this.num(IFLA_NUM_TX_QUEUES);
  }
  set numTxQueues(value: u32) {
    this.setNum(IFLA_NUM_TX_QUEUES, value);
  }
  /** IFLA_NUM_RX_QUEUES. */
  get numRxQueues(): u32 {
    return this.num(IFLA_NUM_RX_QUEUES);
  }
  set numRxQueues(value: u32) {
    this.setNum(IFLA_NUM_RX_QUEUES, value);
  }
  /**
   * IFLA_LINK_NETNSID: the netns id (as seen from here) holding IFLA_LINK, e.g. for a moved macvtap
   * (replies).
   */
  get linkNetnsId(): i32 {
    return <i32> this.num(IFLA_LINK_NETNSID);
  }
  set linkNetnsId(value: i32) {
    this.setNum(IFLA_LINK_NETNSID, <u32> value);
  }
  /** IFLA_MIN_MTU (replies). */
  get minMtu(): u32 {
    return this.num(IFLA_MIN_MTU);
  }
  set minMtu(value: u32) {
    this.setNum(IFLA_MIN_MTU, value);
  }
  /** IFLA_MAX_MTU (replies; 0 = no limit). */
  get maxMtu(): u32 {
    return this.num(IFLA_MAX_MTU);
  }
  set maxMtu(value: u32) {
    this.setNum(IFLA_MAX_MTU, value);
  }
  /** IFLA_EXT_MASK (GET requests): RTEXT_FILTER_* bits. */
  get extMask(): u32 {
    return this.num(IFLA_EXT_MASK);
  }
  set extMask(value: u32) {
    this.setNum(IFLA_EXT_MASK, value);
  }

  /** Writes the numeric attributes among `types` that are set. */
  protected encodeNumbers(e: AttributeEncoder, types: u16[]): void {
    for (let i = 0; i < types.length; i++) {
      const type = types[i];
      if (!this.hasNumber(type)) continue;
      if (isU8Attribute(type)) e.u8(type, <u8> this.num(type));
      else e.u32(type, this.num(type));
    }
  }

  /** Reads one of the numeric attributes LinkMessage keeps; skips every other type. */
  protected decodeNumber(d: AttributeDecoder): void {
    const type = d.type();
    if (!isNumericAttribute(type)) return;
    this.setNum(type, isU8Attribute(type) ? <u32> d.u8() : d.u32());
  }
}

/** IFLA_OPERSTATE and IFLA_CARRIER are NLA_U8; the other numbers here are 32-bit. */
function isU8Attribute(type: u16): bool {
  return type == IFLA_OPERSTATE || type == IFLA_CARRIER;
}

function isNumericAttribute(type: u16): bool {
  switch (type) {
    case IFLA_MTU:
    case IFLA_LINK:
    case IFLA_MASTER:
    case IFLA_TXQLEN:
    case IFLA_OPERSTATE:
    case IFLA_CARRIER:
    case IFLA_NET_NS_FD:
    case IFLA_NET_NS_PID:
    case IFLA_GROUP:
    case IFLA_PROMISCUITY:
    case IFLA_NUM_TX_QUEUES:
    case IFLA_NUM_RX_QUEUES:
    case IFLA_LINK_NETNSID:
    case IFLA_MIN_MTU:
    case IFLA_MAX_MTU:
    case IFLA_EXT_MASK:
    case IFLA_NEW_IFINDEX:
      return true;
  }
  return false;
}
