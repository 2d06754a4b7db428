// IFLA_LINKINFO: which driver a link belongs to (IFLA_INFO_KIND), that driver's
// settings (IFLA_INFO_DATA) and, for a port of a bridge or bond, the master's
// kind (IFLA_INFO_SLAVE_KIND). Only macvlan/macvtap data is interpreted; for any
// other kind (veth, bridge, bond ...) the kind string is kept and data skipped.

import { AttributeDecoder, AttributeEncoder } from "./attribute";
import { IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_INFO_SLAVE_KIND, IFLA_LINKINFO } from "./constants";
import { MacvlanData } from "./macvlan";

/**
 * A link's driver: its kind, and for macvlan and macvtap their settings.
 *
 * @example
 * ```ts
 * import { MACVLAN_MODE_BRIDGE, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, RTM_NEWLINK } from "./constants";
 * import { LinkMessage } from "./link";
 * import { LinkInfo } from "./linkinfo";
 * import { MessageDecoder } from "./message";
 *
 * // `ip link add link <ifindex 2> name mvt0 type macvtap mode bridge`, encoded and read back.
 * const create = new LinkMessage();
 * create.name = "mvt0";
 * create.link = 2;
 * create.linkInfo = LinkInfo.macvlanKind("macvtap", MACVLAN_MODE_BRIDGE);
 * const request = create.encode(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL).value!;
 *
 * const d = new MessageDecoder(request);
 * d.next();
 * const info = LinkMessage.decode(d.payload()).value!.linkInfo!;
 * assert(info.kind == "macvtap" && info.isMacvlanFamily);
 * assert(info.macvlan!.mode == MACVLAN_MODE_BRIDGE);
 * ```
 */
export class LinkInfo {
  /**
   * IFLA_INFO_KIND: "macvtap", "veth", "bridge", "bond" ...; null when the link has no driver kind (lo,
   * NICs).
   */
  kind: string | null = null;
  /** IFLA_INFO_SLAVE_KIND: kind of the master this link is a port of ("bridge", "bond"). */
  slaveKind: string | null = null;
  /** IFLA_INFO_DATA of a "macvlan" or "macvtap" link. */
  macvlan: MacvlanData | null = null;

  /** kind "macvtap" (or "macvlan") with IFLA_MACVLAN_MODE set. */
  static macvlanKind(kind: string, mode: u32): LinkInfo {
    const info = new LinkInfo();
    info.kind = kind;
    const data = new MacvlanData();
    data.mode = mode;
    info.macvlan = data;
    return info;
  }

  /** True for the two kinds whose data MacvlanData describes. */
  get isMacvlanFamily(): bool {
    const kind = this.kind;
    return kind != null && (kind == "macvtap" || kind == "macvlan");
  }

  /**
   * Writes IFLA_LINKINFO. Like iproute2 (which the golden bytes come from), the
   * kind is sent without a NUL and the nests without NLA_F_NESTED.
   */
  encode(e: AttributeEncoder): void {
    e.nestStart(IFLA_LINKINFO);
    const kind = this.kind;
    if (kind != null) e.string(IFLA_INFO_KIND, kind, false);
    const data = this.macvlan;
    if (data != null) {
      e.nestStart(IFLA_INFO_DATA);
      data.encode(e);
      e.nestEnd();
    }
    const slaveKind = this.slaveKind;
    if (slaveKind != null) e.string(IFLA_INFO_SLAVE_KIND, slaveKind, false);
    e.nestEnd();
  }

  /** Reads the attributes nested in IFLA_LINKINFO. Errors land in d (and its parents). */
  static decode(d: AttributeDecoder): LinkInfo {
    const info = new LinkInfo();
    let dataDecoder: AttributeDecoder | null = null;
    while (d.next()) {
      switch (d.type()) {
        case IFLA_INFO_KIND:
          info.kind = d.string();
          break;
        case IFLA_INFO_SLAVE_KIND:
          info.slaveKind = d.string();
          break;
        case IFLA_INFO_DATA:
          // The kernel writes KIND before DATA, but do not rely on it: decode DATA after the walk.
          dataDecoder = d.nested();
          break;
      }
    }
    if (dataDecoder != null && info.isMacvlanFamily) info.macvlan = MacvlanData.decode(dataDecoder);
    return info;
  }
}
