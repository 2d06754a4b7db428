// Puts an IPAM result on the pod-side macvtap: the ips[] addresses (before the
// link goes up, so the kernel's up-time announcements carry them), then, once
// it is up, the routes (a route without gw goes via the gateway of an address
// of its family, as the reference plugins' ipam.ConfigureIface does), with the
// spec 1.1.0 route fields applied (ipam_route.ts).

import { JsonValue } from "../json/value";
import { CniError, ERR_IPAM } from "../cni/errors";
import { formatIp, IpAddress, parseCidr } from "../cni/ip";
import { AddressMessage } from "../netlink/address";
import { AF_INET, AF_INET6, IFA_F_NODAD, RT_SCOPE_LINK } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EEXIST } from "../netlink/errno";
import { addAddress, addRoute } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";
import { ipamRoute } from "./ipam_route";

/** Every ips[] address of a normalized IPAM result onto link `ifindex` in `pod`. */
export function addAddresses(pod: NetlinkConn, ifindex: i32, result: JsonValue): CniError | null {
  const ips = result.get("ips");
  if (ips == null || !ips.isArray) return null;
  for (let i = 0; i < ips.items.length; i++) {
    const address = parseMember(ips.items[i], "address");
    if (address.error != null) return address.error;
    const error = addOneAddress(pod, ifindex, address.address!);
    if (error != null) return error;
  }
  return null;
}

/** Which families ips[] holds: bit 0 IPv4, bit 1 IPv6. */
export function addressFamilies(result: JsonValue): i32 {
  const ips = result.get("ips");
  let families = 0;
  if (ips == null || !ips.isArray) return families;
  for (let i = 0; i < ips.items.length; i++) {
    const address = parseMember(ips.items[i], "address").address;
    if (address != null) families |= address.isV6 ? FAMILY_V6 : FAMILY_V4;
  }
  return families;
}

export const FAMILY_V4: i32 = 1;
export const FAMILY_V6: i32 = 2;

/** Every routes[] entry; needs the link up (an on-link gateway is only reachable then). */
export function addRoutes(pod: NetlinkConn, ifindex: i32, result: JsonValue): CniError | null {
  const routes = result.get("routes");
  if (routes == null || !routes.isArray) return null;
  const gateway4 = defaultGateway(result, false);
  const gateway6 = defaultGateway(result, true);
  for (let i = 0; i < routes.items.length; i++) {
    const where = "routes[" + i.toString() + "]";
    const error = addOneRoute(pod, ifindex, routes.items[i], where, gateway4, gateway6);
    if (error != null) return error;
  }
  return null;
}

/** The last ips[] gateway of a family: what a route without gw goes through. */
function defaultGateway(result: JsonValue, v6: bool): IpAddress | null {
  const ips = result.get("ips");
  let found: IpAddress | null = null;
  if (ips == null || !ips.isArray) return found;
  for (let i = 0; i < ips.items.length; i++) {
    const gateway = parseMember(ips.items[i], "gateway").address;
    if (gateway != null && gateway.isV6 == v6) found = gateway;
  }
  return found;
}

class Parsed {
  constructor(
    public address: IpAddress | null,
    public error: CniError | null,
  ) {}
}

/** A string member holding an address; absent → both null, malformed → error. */
function parseMember(entry: JsonValue, key: string): Parsed {
  const value = entry.get(key);
  if (value == null || value.isNull) {
    const missing = key == "address"
      ? new CniError(ERR_IPAM, "IPAM result has an ips[] entry without an address")
      : null;
    return new Parsed(null, missing);
  }
  if (!value.isString) {
    return new Parsed(null, new CniError(ERR_IPAM, 'IPAM result: "' + key + '" must be a string'));
  }
  const parsed = parseCidr(value.stringValue);
  if (parsed.error != null) return new Parsed(null, new CniError(ERR_IPAM, "IPAM result: " + parsed.error!));
  return new Parsed(parsed.address, null);
}

function addOneAddress(pod: NetlinkConn, ifindex: i32, ip: IpAddress): CniError | null {
  const message = new AddressMessage();
  message.family = ip.isV6 ? AF_INET6 : AF_INET;
  message.prefixLen = <u8> ip.prefix;
  message.index = <u32> ifindex;
  message.local = ip.bytes;
  message.address = ip.bytes;
  // Skip duplicate address detection: the address was leased to this pod, and a
  // tentative IPv6 address would make the routes below fail with EADDRNOTAVAIL.
  if (ip.isV6) message.flags = IFA_F_NODAD;
  const error = addAddress(pod, message);
  if (error == null || error.errno == EEXIST) return null;
  return netlinkFailure("adding address " + describe(ip), error);
}

function addOneRoute(
  pod: NetlinkConn,
  ifindex: i32,
  entry: JsonValue,
  where: string,
  gateway4: IpAddress | null,
  gateway6: IpAddress | null,
): CniError | null {
  const built = ipamRoute(entry, where);
  if (built.error != null) return built.error;
  const route = built.route!;
  // A route the result scopes to the link (or host) is on-link by definition: no implicit gateway.
  if (!built.hasGateway && route.scope < RT_SCOPE_LINK) {
    const via = route.family == AF_INET6 ? gateway6 : gateway4;
    if (via != null) route.gateway = via.bytes;
  }
  route.oif = <u32> ifindex;
  const error = addRoute(pod, route);
  if (error == null || error.errno == EEXIST) return null;
  const dst = route.dst != null ? formatIp(route.dst!) : (route.family == AF_INET6 ? "::" : "0.0.0.0");
  return netlinkFailure("adding route to " + dst + "/" + route.dstLen.toString() + " (" + where + ")", error);
}

function describe(ip: IpAddress): string {
  return formatIp(ip.bytes) + "/" + ip.prefix.toString();
}
