// One routes[] entry of an IPAM result as the kernel route ADD installs and CHECK looks for: dst as a
// network (host bits cleared, as Go's net.ParseCIDR reads it), gw, and the spec 1.1.0 fields priority
// (the metric), mtu and advmss (route metrics), table and scope. Values out of range are the IPAM
// result's fault (106), never sent to the kernel.

import { CniError, ERR_IPAM } from "../cni/errors";
import { formatIp, IpAddress, networkOf, parseCidr } from "../cni/ip";
import { JsonValue } from "../json/value";
import { AF_INET, AF_INET6, RT_TABLE_MAIN } from "../netlink/constants";
import { RouteMessage } from "../netlink/route";

const MAX_U32: f64 = 4294967295;
const MAX_SCOPE: f64 = 255;

export class IpamRoute {
  constructor(
    public route: RouteMessage | null,
    /** Whether the entry named its own gw (else ADD uses the family's ips[] gateway). */
    public hasGateway: bool,
    public error: CniError | null,
  ) {}
}

/**
 * The route for `entry`, without oif and with the gateway only when the entry names one. `where` names
 * the entry in messages ("routes[2]").
 */
export function ipamRoute(entry: JsonValue, where: string): IpamRoute {
  if (!entry.isObject) return failed(where + " must be an object, got " + entry.describeKind());
  const dst = address(entry, "dst", where);
  if (dst.error != null) return failed(dst.error!);
  if (dst.address == null) return failed(where + " has no dst");
  const network = networkOf(dst.address!);
  const route = new RouteMessage();
  route.family = network.isV6 ? AF_INET6 : AF_INET;
  route.dstLen = <u8> network.prefix;
  if (network.prefix > 0) route.dst = network.bytes;
  const gw = address(entry, "gw", where);
  if (gw.error != null) return failed(gw.error!);
  if (gw.address != null) {
    if (gw.address!.isV6 != network.isV6) {
      return failed(where + ": gw " + formatIp(gw.address!.bytes) + " is not of dst's family");
    }
    route.gateway = gw.address!.bytes;
  }
  const fieldError = readRouteFields(route, entry, where);
  if (fieldError != null) return failed(fieldError!);
  return new IpamRoute(route, gw.address != null, null);
}

/** priority, mtu, advmss, table (absent or 0: main) and scope (absent: universe). */
function readRouteFields(route: RouteMessage, entry: JsonValue, where: string): string | null {
  const fields = new RouteInteger(entry, where);
  const priority = fields.read("priority", MAX_U32);
  if (priority >= 0) {
    route.priority = <u32> priority;
    route.hasPriority = true;
  }
  route.mtu = <u32> max(fields.read("mtu", MAX_U32), 0);
  route.advmss = <u32> max(fields.read("advmss", MAX_U32), 0);
  const table = fields.read("table", MAX_U32);
  route.table = table > 0 ? <u32> table : RT_TABLE_MAIN;
  const scope = fields.read("scope", MAX_SCOPE);
  if (scope >= 0) route.scope = <u8> scope;
  return fields.error;
}

/** Optional integer members of one routes[] entry; the first bad one is kept as the error. */
class RouteInteger {
  error: string | null = null;

  constructor(
    private entry: JsonValue,
    private where: string,
  ) {}

  /** The value in [0, limit], or -1 when absent, null or wrong. */
  read(key: string, limit: f64): i64 {
    const value = this.entry.get(key);
    if (value == null || value.isNull || this.error != null) return -1;
    if (!value.isInteger || value.numberValue < 0 || value.numberValue > limit) {
      this.error = this.where + "." + key + " must be an integer from 0 to " + (<i64> limit).toString();
      return -1;
    }
    return <i64> value.numberValue;
  }
}

class ParsedAddress {
  constructor(
    public address: IpAddress | null,
    public error: string | null,
  ) {}
}

/** A string member holding an address or prefix; absent or null → neither set. */
function address(entry: JsonValue, key: string, where: string): ParsedAddress {
  const value = entry.get(key);
  if (value == null || value.isNull) return new ParsedAddress(null, null);
  if (!value.isString) return new ParsedAddress(null, where + "." + key + " must be a string");
  const parsed = parseCidr(value.stringValue);
  if (parsed.error != null) return new ParsedAddress(null, where + "." + key + ": " + parsed.error!);
  return new ParsedAddress(parsed.address, null);
}

function failed(why: string): IpamRoute {
  return new IpamRoute(null, false, new CniError(ERR_IPAM, "IPAM result: " + why));
}
