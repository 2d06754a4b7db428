// A NIC's own IP configuration on the node: the addresses and routes the kernel
// drops when the NIC leaves for a pod. Read before ADD moves it, kept as compact
// text in the NIC's origin record (origin_record.ts, in its alias, so it travels
// with the NIC even when the pod netns dies), put back by DEL (return_nic.ts).
//
// Kept: permanent addresses (IFA_F_PERMANENT: configured, not leased; a DHCP or
// SLAAC address has a lifetime and its agent adds it again), but not IPv6
// link-local ones (the kernel makes those when the link comes up); unicast routes
// of any table through the NIC alone, except the kernel's own (the prefix routes
// of addresses, RA and redirect routes) and the local table's.
//
//   address  10.20.0.2/24b         b: had a broadcast (restored as `brd +`), n: noprefixroute
//   route    10.1.0.0/16@10.20.0.1#100^200~4!253=10.20.0.2%1400
//            @gateway #metric ^table ~protocol !scope =preferred source %mtu, each only when not the default

import { CniError } from "../cni/errors";
import { compactIp, IpAddress, parseCidr } from "../cni/ip";
import { netlinkFailure } from "../attach/failures";
import { AddressMessage } from "../netlink/address";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_F_PERMANENT,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RTN_UNICAST,
  RTPROT_BOOT,
  RTPROT_KERNEL,
  RTPROT_RA,
  RTPROT_REDIRECT,
} from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EEXIST } from "../netlink/errno";
import { Result } from "../netlink/error";
import { LinkMessage } from "../netlink/link";
import { RouteMessage } from "../netlink/route";
import { addAddress, addRoute, listAddresses, listRoutes } from "../netlink/rtnl";

/** The metric the kernel gives an IPv6 route added without one (not worth recording). */
const IPV6_DEFAULT_METRIC: u32 = 1024;

export class NodeAddress {
  constructor(
    public ip: IpAddress,
    /** IPv4: it had IFA_BROADCAST. */
    public broadcast: bool,
    public noPrefixRoute: bool,
  ) {}
}

/** The NIC's addresses and routes, and why it cannot be recorded (or null). */
export class NodeConfig {
  addresses: NodeAddress[] = [];
  /** Routes as RouteMessage (oif left 0: the NIC's ifindex on its return is known only then). */
  routes: RouteMessage[] = [];

  get isEmpty(): bool {
    return this.addresses.length == 0 && this.routes.length == 0;
  }
}

/** What readNodeConfig found: the config, or why the NIC cannot leave (a next hop of a multipath route). */
export class NodeConfigRead {
  constructor(
    public config: NodeConfig,
    public refusal: string | null,
  ) {}
}

/** The addresses and routes of `nic` in `node`'s netns (two dumps). */
export function readNodeConfig(node: NetlinkConn, nic: LinkMessage): Result<NodeConfigRead> {
  const config = new NodeConfig();
  const addresses = listAddresses(node, AF_UNSPEC, <u32> nic.index);
  if (addresses.error != null) return Result.fail<NodeConfigRead>(addresses.error!);
  for (let i = 0; i < addresses.value!.length; i++) {
    const a = addresses.value![i];
    const bytes = a.local != null ? a.local! : a.address;
    if (bytes == null || (a.flags & IFA_F_PERMANENT) == 0 || isLinkLocalV6(bytes!)) continue;
    const ip = new IpAddress(bytes!, a.prefixLen);
    config.addresses.push(new NodeAddress(ip, a.broadcast != null, (a.flags & IFA_F_NOPREFIXROUTE) != 0));
  }
  const routes = listRoutes(node, AF_UNSPEC);
  if (routes.error != null) return Result.fail<NodeConfigRead>(routes.error!);
  for (let i = 0; i < routes.value!.length; i++) {
    const route = routes.value![i];
    if (route.nexthopOifs.includes(nic.index)) {
      return Result.ok<NodeConfigRead>(new NodeConfigRead(config, "it is a next hop of a multipath route"));
    }
    if (<i32> route.oif == nic.index && isConfiguredRoute(route)) config.routes.push(route);
  }
  return Result.ok<NodeConfigRead>(new NodeConfigRead(config, null));
}

function isLinkLocalV6(bytes: Uint8Array): bool {
  return bytes.length == 16 && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

/** A unicast route someone configured, not one the kernel makes (and makes again) by itself. */
function isConfiguredRoute(route: RouteMessage): bool {
  if (route.type != RTN_UNICAST || route.table == RT_TABLE_LOCAL) return false;
  const protocol = route.protocol;
  return protocol != RTPROT_KERNEL && protocol != RTPROT_RA && protocol != RTPROT_REDIRECT;
}

/** " ip=… rt=…" for the origin record; "" when there is nothing to keep. */
export function encodeNodeConfig(config: NodeConfig): string {
  let text = "";
  if (config.addresses.length > 0) {
    text += " ip=";
    for (let i = 0; i < config.addresses.length; i++) {
      text += (i > 0 ? "," : "") + addressText(config.addresses[i]);
    }
  }
  if (config.routes.length > 0) {
    text += " rt=";
    for (let i = 0; i < config.routes.length; i++) text += (i > 0 ? "," : "") + routeText(config.routes[i]);
  }
  return text;
}

function addressText(address: NodeAddress): string {
  return compactIp(address.ip.bytes) + "/" + address.ip.prefix.toString() + (address.broadcast ? "b" : "") +
    (address.noPrefixRoute ? "n" : "");
}

function routeText(route: RouteMessage): string {
  const dst = route.dst;
  const width = route.family == AF_INET6 ? 16 : 4;
  let text = compactIp(dst != null ? dst! : new Uint8Array(width)) + "/" + route.dstLen.toString();
  const gateway = route.gateway;
  if (gateway != null) text += "@" + compactIp(gateway!);
  const v6 = route.family == AF_INET6;
  if (route.hasPriority && !(v6 && route.priority == IPV6_DEFAULT_METRIC)) {
    text += "#" + route.priority.toString();
  }
  if (route.table != RT_TABLE_MAIN) text += "^" + route.table.toString();
  if (route.protocol != RTPROT_BOOT) text += "~" + route.protocol.toString();
  if (route.scope != defaultScope(v6, gateway != null)) text += "!" + route.scope.toString();
  const source = route.prefSrc;
  if (source != null) text += "=" + compactIp(source!);
  if (route.mtu != 0) text += "%" + route.mtu.toString();
  return text;
}

/** The scope `ip route add` picks: IPv4 universe via a gateway, link without one; IPv6 always universe. */
function defaultScope(v6: bool, hasGateway: bool): u8 {
  return v6 || hasGateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
}

/** The ip= and rt= values of a record back into a config; null when damaged. */
export function decodeNodeConfig(addresses: string, routes: string): NodeConfig | null {
  const config = new NodeConfig();
  const addressTokens = addresses.length > 0 ? addresses.split(",") : new Array<string>();
  for (let i = 0; i < addressTokens.length; i++) {
    const address = parseAddress(addressTokens[i]);
    if (address == null) return null;
    config.addresses.push(address!);
  }
  const routeTokens = routes.length > 0 ? routes.split(",") : new Array<string>();
  for (let i = 0; i < routeTokens.length; i++) {
    const route = parseRoute(routeTokens[i]);
    if (route == null) return null;
    config.routes.push(route!);
  }
  return config;
}

function parseAddress(token: string): NodeAddress | null {
  let end = token.length;
  let broadcast = false;
  let noPrefixRoute = false;
  while (end > 0) {
    const c = token.charCodeAt(end - 1);
    if (c == 0x62) broadcast = true;
    else if (c == 0x6e) noPrefixRoute = true;
    else break;
    end--;
  }
  const parsed = parseCidr(token.substring(0, end));
  if (parsed.error != null || token.indexOf("/") < 0) return null;
  return new NodeAddress(parsed.address!, broadcast, noPrefixRoute);
}

const ROUTE_MARKS = "@#^~!=%";

function parseRoute(token: string): RouteMessage | null {
  const route = new RouteMessage();
  let start = 0;
  let mark = -1;
  for (let i = 0; i <= token.length; i++) {
    if (i < token.length && ROUTE_MARKS.indexOf(token.charAt(i)) < 0) continue;
    if (!applyPart(route, mark, token.substring(start, i))) return null;
    if (i < token.length) mark = token.charCodeAt(i);
    start = i + 1;
  }
  if (!route.hasPriority && route.family == AF_INET6) {
    route.priority = IPV6_DEFAULT_METRIC;
    route.hasPriority = true;
  }
  return route;
}

/** One part of a route token: the destination (mark -1) or a marked field. */
function applyPart(route: RouteMessage, mark: i32, text: string): bool {
  if (mark < 0) {
    const dst = parseCidr(text);
    if (dst.error != null || text.indexOf("/") < 0) return false;
    route.family = dst.address!.bytes.length == 16 ? AF_INET6 : AF_INET;
    route.dstLen = <u8> dst.address!.prefix;
    if (route.dstLen > 0) route.dst = dst.address!.bytes;
    route.scope = defaultScope(route.family == AF_INET6, false);
    return true;
  }
  if (mark == 0x40 || mark == 0x3d) {
    const ip = parseCidr(text);
    if (ip.error != null || text.indexOf("/") >= 0) return false;
    if (mark == 0x40) {
      route.gateway = ip.address!.bytes;
      route.scope = defaultScope(route.family == AF_INET6, true);
    } else {
      route.prefSrc = ip.address!.bytes;
    }
    return true;
  }
  const value = parseNumber(text);
  if (value < 0) return false;
  if (mark == 0x23) {
    route.priority = <u32> value;
    route.hasPriority = true;
  } else if (mark == 0x5e) route.table = <u32> value;
  else if (mark == 0x7e) route.protocol = <u8> value;
  else if (mark == 0x21) route.scope = <u8> value;
  else route.mtu = <u32> value;
  return true;
}

/** A decimal of at most 10 digits below 2^32, or -1. */
function parseNumber(text: string): i64 {
  if (text.length == 0 || text.length > 10) return -1;
  let n: i64 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n <= 0xffffffff ? n : -1;
}

/**
 * The recorded addresses back on link `index` (before it goes up, so the kernel
 * announces them). IPv6 ones skip duplicate address detection: they were this
 * node's a moment ago, and a tentative address would fail the routes that use it.
 */
export function restoreAddresses(node: NetlinkConn, index: i32, config: NodeConfig): CniError | null {
  for (let i = 0; i < config.addresses.length; i++) {
    const address = config.addresses[i];
    const ip = address.ip;
    const message = new AddressMessage();
    message.family = ip.bytes.length == 16 ? AF_INET6 : AF_INET;
    message.prefixLen = <u8> ip.prefix;
    message.index = <u32> index;
    message.local = ip.bytes;
    message.address = ip.bytes;
    if (address.broadcast && ip.bytes.length == 4) message.broadcast = broadcastOf(ip);
    if (address.noPrefixRoute) message.flags |= IFA_F_NOPREFIXROUTE;
    if (ip.bytes.length == 16) message.flags |= IFA_F_NODAD;
    const error = addAddress(node, message);
    if (error != null && error.errno != EEXIST) {
      return netlinkFailure("restoring address " + addressText(address) + " on the node", error);
    }
  }
  return null;
}

/** The recorded routes back through link `index`, which must be up (a gateway is only reachable then). */
export function restoreRoutes(node: NetlinkConn, index: i32, config: NodeConfig): CniError | null {
  for (let i = 0; i < config.routes.length; i++) {
    const route = config.routes[i];
    route.oif = <u32> index;
    const error = addRoute(node, route);
    if (error != null && error.errno != EEXIST) {
      return netlinkFailure("restoring route " + routeText(route) + " on the node", error);
    }
  }
  return null;
}

/** `ip addr add … brd +`: the address with every host bit set. */
function broadcastOf(ip: IpAddress): Uint8Array {
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const bitsBefore = i * 8;
    const hostBits = ip.prefix >= bitsBefore + 8
      ? 0
      : ip.prefix <= bitsBefore
      ? 0xff
      : 0xff >> (ip.prefix - bitsBefore);
    out[i] = <u8> (ip.bytes[i] | hostBits);
  }
  return out;
}
