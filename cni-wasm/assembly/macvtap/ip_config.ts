// Puts an IPAM result on the pod-side macvtap: every ips[] address, then every
// route (a route without gw goes via the gateway of an address of its family,
// as the reference plugins' ipam.ConfigureIface does).

import { JsonValue } from "../json/value";
import { CniError, ERR_IPAM } from "../cni/errors";
import { formatIp, IpAddress, parseCidr } from "../cni/ip";
import { AddressMessage } from "../netlink/address";
import { AF_INET, AF_INET6, IFA_F_NODAD } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EEXIST } from "../netlink/errno";
import { RouteMessage } from "../netlink/route";
import { addAddress, addRoute } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";

/** Addresses and routes of a normalized IPAM result onto link `ifindex` in `pod`. */
export function applyIpConfig(pod: NetlinkConn, ifindex: i32, result: JsonValue): CniError | null {
  const ips = result.get("ips");
  let gateway4: IpAddress | null = null;
  let gateway6: IpAddress | null = null;
  if (ips != null && ips.isArray) {
    for (let i = 0; i < ips.items.length; i++) {
      const entry = ips.items[i];
      const address = parseMember(entry, "address");
      if (address.error != null) return address.error;
      const error = addOneAddress(pod, ifindex, address.address!);
      if (error != null) return error;
      const gateway = parseMember(entry, "gateway");
      if (gateway.address == null) continue;
      if (gateway.address!.isV6) gateway6 = gateway.address;
      else gateway4 = gateway.address;
    }
  }
  const routes = result.get("routes");
  if (routes == null || !routes.isArray) return null;
  for (let i = 0; i < routes.items.length; i++) {
    const error = addOneRoute(pod, ifindex, routes.items[i], gateway4, gateway6);
    if (error != null) return error;
  }
  return null;
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
    const missing = key == "address" ? new CniError(ERR_IPAM, "IPAM result has an ips[] entry without an address") : null;
    return new Parsed(null, missing);
  }
  if (!value.isString) return new Parsed(null, new CniError(ERR_IPAM, "IPAM result: \"" + key + "\" must be a string"));
  const parsed = parseCidr(value.stringValue);
  if (parsed.error != null) return new Parsed(null, new CniError(ERR_IPAM, "IPAM result: " + parsed.error!));
  return new Parsed(parsed.address, null);
}

function addOneAddress(pod: NetlinkConn, ifindex: i32, ip: IpAddress): CniError | null {
  const message = new AddressMessage();
  message.family = ip.isV6 ? AF_INET6 : AF_INET;
  message.prefixLen = <u8>ip.prefix;
  message.index = <u32>ifindex;
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
  gateway4: IpAddress | null,
  gateway6: IpAddress | null,
): CniError | null {
  const dst = parseMember(entry, "dst");
  if (dst.address == null) {
    return dst.error != null ? dst.error : new CniError(ERR_IPAM, "IPAM result has a routes[] entry without dst");
  }
  const destination = dst.address!;
  const gw = parseMember(entry, "gw");
  if (gw.error != null) return gw.error;
  let via = gw.address;
  if (via == null) via = destination.isV6 ? gateway6 : gateway4;
  const route = new RouteMessage();
  route.family = destination.isV6 ? AF_INET6 : AF_INET;
  route.dstLen = <u8>destination.prefix;
  if (destination.prefix > 0) route.dst = destination.bytes;
  if (via != null) route.gateway = via.bytes;
  route.oif = <u32>ifindex;
  const error = addRoute(pod, route);
  if (error == null || error.errno == EEXIST) return null;
  return netlinkFailure("adding route to " + describe(destination), error);
}

function describe(ip: IpAddress): string {
  return formatIp(ip.bytes) + "/" + ip.prefix.toString();
}
