// IFLA_INFO_DATA of link kinds "macvlan" and "macvtap": both drivers share one
// netlink policy (macvtap is a macvlan with a character device on top), so one
// type serves both, as in vishvananda/netlink and jsimonetti/rtnetlink.

import { AttributeDecoder, AttributeEncoder } from "./attribute";
import {
  IFLA_MACVLAN_BC_QUEUE_LEN,
  IFLA_MACVLAN_FLAGS,
  IFLA_MACVLAN_MACADDR_COUNT,
  IFLA_MACVLAN_MODE,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PASSTHRU,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_SOURCE,
  MACVLAN_MODE_VEPA,
} from "./constants";

/** The IFLA_MACVLAN_* attributes we read and write; a field counts only when has() says so. */
export class MacvlanData {
  private _mode: u32 = 0;
  private _flags: u16 = 0;
  private _macaddrCount: u32 = 0;
  private _bcQueueLen: u32 = 0;
  private present: u32 = 0;

  /** True when attribute IFLA_MACVLAN_* `attr` was set or decoded. */
  has(attr: u16): bool {
    return attr < 32 && (this.present & (1 << attr)) != 0;
  }

  private mark(attr: u16): void {
    this.present |= 1 << attr;
  }

  /** IFLA_MACVLAN_MODE: one MACVLAN_MODE_* value. */
  get mode(): u32 {
    return this._mode;
  }
  set mode(value: u32) {
    this._mode = value;
    this.mark(IFLA_MACVLAN_MODE);
  }

  /** IFLA_MACVLAN_FLAGS: MACVLAN_FLAG_NOPROMISC | MACVLAN_FLAG_NODST. */
  get flags(): u16 {
    return this._flags;
  }
  set flags(value: u16) {
    this._flags = value;
    this.mark(IFLA_MACVLAN_FLAGS);
  }

  /** IFLA_MACVLAN_MACADDR_COUNT (source mode's address list length; replies only). */
  get macaddrCount(): u32 {
    return this._macaddrCount;
  }
  set macaddrCount(value: u32) {
    this._macaddrCount = value;
    this.mark(IFLA_MACVLAN_MACADDR_COUNT);
  }

  /** IFLA_MACVLAN_BC_QUEUE_LEN: broadcast queue length requested for the lower device. */
  get bcQueueLen(): u32 {
    return this._bcQueueLen;
  }
  set bcQueueLen(value: u32) {
    this._bcQueueLen = value;
    this.mark(IFLA_MACVLAN_BC_QUEUE_LEN);
  }

  /** Writes the fields that are set, in IFLA_MACVLAN_* order. */
  encode(e: AttributeEncoder): void {
    if (this.has(IFLA_MACVLAN_MODE)) e.u32(IFLA_MACVLAN_MODE, this._mode);
    if (this.has(IFLA_MACVLAN_FLAGS)) e.u16(IFLA_MACVLAN_FLAGS, this._flags);
    if (this.has(IFLA_MACVLAN_MACADDR_COUNT)) e.u32(IFLA_MACVLAN_MACADDR_COUNT, this._macaddrCount);
    if (this.has(IFLA_MACVLAN_BC_QUEUE_LEN)) e.u32(IFLA_MACVLAN_BC_QUEUE_LEN, this._bcQueueLen);
  }

  /**
   * Reads IFLA_INFO_DATA's attributes; others (MACADDR_DATA, BC_CUTOFF ...) are skipped. Errors land in d.
   */
  static decode(d: AttributeDecoder): MacvlanData {
    const data = new MacvlanData();
    while (d.next()) {
      switch (d.type()) {
        case IFLA_MACVLAN_MODE:
          data.mode = d.u32();
          break;
        case IFLA_MACVLAN_FLAGS:
          data.flags = d.u16();
          break;
        case IFLA_MACVLAN_MACADDR_COUNT:
          data.macaddrCount = d.u32();
          break;
        case IFLA_MACVLAN_BC_QUEUE_LEN:
          data.bcQueueLen = d.u32();
          break;
      }
    }
    return data;
  }
}

/**
 * "private", "vepa", "bridge", "passthru", "source" (as `ip -d link` prints them), or "mode N".
 *
 * @example
 * ```ts
 * import { MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU } from "./constants";
 * import { macvlanModeFromName, macvlanModeName } from "./macvlan";
 *
 * assert(macvlanModeName(MACVLAN_MODE_BRIDGE) == "bridge" && macvlanModeName(3) == "mode 3");
 * assert(macvlanModeFromName("passthru") == MACVLAN_MODE_PASSTHRU && macvlanModeFromName("vlan") == 0);
 * ```
 */
export function macvlanModeName(mode: u32): string {
  switch (mode) {
    case MACVLAN_MODE_PRIVATE:
      return "private";
    case MACVLAN_MODE_VEPA:
      return "vepa";
    case MACVLAN_MODE_BRIDGE:
      return "bridge";
    case MACVLAN_MODE_PASSTHRU:
      return "passthru";
    case MACVLAN_MODE_SOURCE:
      return "source";
    default:
      return "mode " + mode.toString();
  }
}

/** The MACVLAN_MODE_* for a name macvlanModeName() returns, or 0 when the name is unknown. */
export function macvlanModeFromName(name: string): u32 {
  if (name == "private") return MACVLAN_MODE_PRIVATE;
  if (name == "vepa") return MACVLAN_MODE_VEPA;
  if (name == "bridge") return MACVLAN_MODE_BRIDGE;
  if (name == "passthru") return MACVLAN_MODE_PASSTHRU;
  if (name == "source") return MACVLAN_MODE_SOURCE;
  return 0;
}
