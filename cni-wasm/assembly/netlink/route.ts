// Routes: struct rtmsg plus RTA_* attributes, for RTM_NEWROUTE / RTM_DELROUTE /
// RTM_GETROUTE (IPv4 and IPv6) and their replies. RTA_METRICS nests RTAX_* u32s;
// of those the route's MTU and advertised MSS are kept.

import { AttributeDecoder } from "./attribute";
import { ByteReader } from "./buffer";
import {
  AF_INET,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_ADVMSS,
  RTAX_MTU,
  RTN_UNICAST,
  RTPROT_BOOT,
} from "./constants";
import { Decoded, MessageBuilder } from "./message";

/** sizeof(struct rtmsg): family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), u32 flags. */
export const RTMSG_LEN: i32 = 12;

/** sizeof(struct rtnexthop): u16 rtnh_len, u8 rtnh_flags, u8 rtnh_hops, i32 rtnh_ifindex. */
export const RTNEXTHOP_LEN: i32 = 8;

/** RTNH_ALIGN (linux/rtnetlink.h): each rtnexthop starts on a 4-byte boundary. */
export function rtnhAlign(length: i32): i32 {
  return (length + 3) & ~3;
}

/**
 * One route. Defaults are what `ip route add` uses: main table, boot protocol, universe scope, unicast.
 *
 * @example
 * ```ts
 * import { NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from "./constants";
 * import { RT_TABLE_MAIN, RTM_NEWROUTE } from "./constants";
 * import { MessageDecoder } from "./message";
 * import { RouteMessage } from "./route";
 *
 * // `ip route add default via 10.0.0.1 dev <ifindex 3> metric 100`
 * const gateway = new Uint8Array(4);
 * gateway[0] = 10;
 * gateway[3] = 1;
 * const route = new RouteMessage();
 * route.gateway = gateway;
 * route.oif = 3;
 * route.priority = 100;
 * route.hasPriority = true;
 * const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
 * const request = route.encode(RTM_NEWROUTE, flags).value!;
 *
 * const d = new MessageDecoder(request);
 * d.next();
 * const back = RouteMessage.decode(d.payload()).value!;
 * assert(back.dst == null && back.dstLen == 0 && back.table == RT_TABLE_MAIN); // a default route
 * assert(back.oif == 3 && back.priority == 100 && back.gateway![3] == 1);
 * ```
 */
export class RouteMessage {
  /** rtm_family: AF_INET or AF_INET6. */
  family: u8 = AF_INET;
  /** rtm_dst_len: prefix length of `dst` (0 with no dst = default route). */
  dstLen: u8 = 0;
  /** rtm_src_len. */
  srcLen: u8 = 0;
  /** rtm_tos. */
  tos: u8 = 0;
  /**
   * Routing table id. rtm_table holds 8 bits; RTA_TABLE holds all 32 and wins
   * when present. Encoding sends RTA_TABLE only for ids above 255, as iproute2 does.
   */
  table: u32 = RT_TABLE_MAIN;
  /** rtm_protocol: RTPROT_*. */
  protocol: u8 = RTPROT_BOOT;
  /** rtm_scope: RT_SCOPE_*. */
  scope: u8 = RT_SCOPE_UNIVERSE;
  /** rtm_type: RTN_*. */
  type: u8 = RTN_UNICAST;
  /** rtm_flags: RTM_F_*. */
  flags: u32 = 0;
  /** RTA_DST: destination prefix address; null for the default route. */
  dst: Uint8Array | null = null;
  /** RTA_GATEWAY. */
  gateway: Uint8Array | null = null;
  /** RTA_PREFSRC: preferred source address. */
  prefSrc: Uint8Array | null = null;
  /** RTA_OIF: output ifindex (0 = not set). */
  oif: u32 = 0;
  /** RTA_PRIORITY: the metric. */
  priority: u32 = 0;
  /** Whether `priority` is set (a metric of 0 is a real value). */
  hasPriority: bool = false;
  /** RTA_MULTIPATH (replies): rtnh_ifindex of every next hop of a multipath route; empty otherwise. */
  nexthopOifs: i32[] = [];
  /** RTA_METRICS / RTAX_MTU: the path MTU of the route (0 = not set). */
  mtu: u32 = 0;
  /** RTA_METRICS / RTAX_ADVMSS: the MSS advertised on connections over the route (0 = not set). */
  advmss: u32 = 0;

  /**
   * Encodes a request in the order `ip route add DST via GW metric M table T dev D mtu U advmss A` sends
   * it (RTA_*): DST, GATEWAY, PRIORITY, TABLE, OIF, PREFSRC, then METRICS { RTAX_MTU, RTAX_ADVMSS } without
   * NLA_F_NESTED (iproute2 adds the device and the metrics after the other arguments).
   */
  encode(msgType: u16, flags: u16, seq: u32 = 0): Decoded<Uint8Array> {
    const b = new MessageBuilder(msgType, flags, seq);
    const w = b.writer;
    w.u8(this.family);
    w.u8(this.dstLen);
    w.u8(this.srcLen);
    w.u8(this.tos);
    w.u8(this.table > 255 ? <u8> RT_TABLE_UNSPEC : <u8> this.table);
    w.u8(this.protocol);
    w.u8(this.scope);
    w.u8(this.type);
    w.u32(this.flags);
    const e = b.attrs;
    e.optionalBytes(RTA_DST, this.dst);
    e.optionalBytes(RTA_GATEWAY, this.gateway);
    if (this.hasPriority) e.u32(RTA_PRIORITY, this.priority);
    if (this.table > 255) e.u32(RTA_TABLE, this.table);
    if (this.oif != 0) e.u32(RTA_OIF, this.oif);
    e.optionalBytes(RTA_PREFSRC, this.prefSrc);
    if (this.mtu != 0 || this.advmss != 0) {
      e.nestStart(RTA_METRICS);
      if (this.mtu != 0) e.u32(RTAX_MTU, this.mtu);
      if (this.advmss != 0) e.u32(RTAX_ADVMSS, this.advmss);
      e.nestEnd();
    }
    const bytes = b.build();
    if (bytes == null) return Decoded.fail<Uint8Array>("cannot encode route: " + b.error!);
    return Decoded.ok<Uint8Array>(bytes);
  }

  /**
   * Decodes an RTM_NEWROUTE / RTM_DELROUTE payload; of the metrics only MTU and advertised MSS are kept,
   * cache info is skipped, of multipath only the next hops' ifindexes are kept.
   */
  static decode(payload: Uint8Array): Decoded<RouteMessage> {
    const route = new RouteMessage();
    const r = new ByteReader(payload);
    route.family = r.u8("rtmsg");
    route.dstLen = r.u8("rtmsg");
    route.srcLen = r.u8("rtmsg");
    route.tos = r.u8("rtmsg");
    route.table = r.u8("rtmsg");
    route.protocol = r.u8("rtmsg");
    route.scope = r.u8("rtmsg");
    route.type = r.u8("rtmsg");
    route.flags = r.u32("rtmsg");
    if (r.error != null) return Decoded.fail<RouteMessage>("route message: " + r.error!);
    const d = new AttributeDecoder(payload, RTMSG_LEN);
    let problem: string | null = null;
    while (d.next() && problem == null) problem = route.decodeAttribute(d);
    if (d.error != null) return Decoded.fail<RouteMessage>("route message: " + d.error!);
    if (problem != null) return Decoded.fail<RouteMessage>("route message: " + problem!);
    return Decoded.ok<RouteMessage>(route);
  }

  /** Reads one attribute; returns what is wrong with it, or null. */
  private decodeAttribute(d: AttributeDecoder): string | null {
    switch (d.type()) {
      case RTA_MULTIPATH:
        return this.decodeNexthops(d.bytes());
      case RTA_METRICS:
        this.decodeMetrics(d.nested());
        break;
      case RTA_DST:
        this.dst = d.bytes();
        break;
      case RTA_GATEWAY:
        this.gateway = d.bytes();
        break;
      case RTA_PREFSRC:
        this.prefSrc = d.bytes();
        break;
      case RTA_OIF:
        this.oif = d.u32();
        break;
      case RTA_TABLE:
        this.table = d.u32();
        break;
      case RTA_PRIORITY:
        this.priority = d.u32();
        this.hasPriority = true;
        break;
    }
    return null;
  }

  /** RTA_METRICS: RTAX_* attributes, each a u32; errors land in the outer decoder. */
  private decodeMetrics(d: AttributeDecoder): void {
    while (d.next()) {
      switch (d.type()) {
        case RTAX_MTU:
          this.mtu = d.u32();
          break;
        case RTAX_ADVMSS:
          this.advmss = d.u32();
          break;
      }
    }
  }

  /**
   * RTA_MULTIPATH: a run of struct rtnexthop, each followed by its own attributes (skipped), RTNH_ALIGNed.
   */
  private decodeNexthops(bytes: Uint8Array): string | null {
    let at = 0;
    while (at < bytes.length) {
      const r = new ByteReader(bytes, at);
      const length = <i32> r.u16("rtnexthop");
      r.skip(2, "rtnexthop");
      const ifindex = r.i32("rtnexthop");
      if (r.error != null) return "RTA_MULTIPATH: " + r.error!;
      if (length < RTNEXTHOP_LEN || at + length > bytes.length) {
        return "RTA_MULTIPATH: rtnh_len " + length.toString() + " at offset " + at.toString() +
          " does not fit";
      }
      this.nexthopOifs.push(ifindex);
      at += rtnhAlign(length);
    }
    return null;
  }
}
