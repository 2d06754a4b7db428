// CHECK's route part (SPEC.md CHECK: an error when a route in prevResult is missing), as Debian's
// macvlan checks it (ip.ValidateExpectedRoute): every routes[] entry of prevResult must still be in the
// pod netns. A route is found by what identifies it to the kernel, read the way ADD wrote it
// (ipam_route.ts): family, dst as a network, table (main unless given), the metric when given, the
// gateway when the entry names one. Its mtu, advmss and scope are not compared: the spec lets a later
// chained plugin adjust routes, and they do not make it another route.

import { CniError, ERR_CHECK_MISMATCH } from "../cni/errors";
import { JsonValue } from "../json/value";
import { AF_UNSPEC } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { RouteMessage } from "../netlink/route";
import { listRoutes } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";
import { ipamRoute } from "./ipam_route";

export function checkRoutes(pod: NetlinkConn, result: JsonValue): CniError | null {
  const routes = result.get("routes");
  if (routes == null || !routes.isArray || routes.items.length == 0) return null;
  const listed = listRoutes(pod, AF_UNSPEC);
  if (listed.error != null) return netlinkFailure("listing routes", listed.error!);
  const present = listed.value!;
  for (let i = 0; i < routes.items.length; i++) {
    const where = "routes[" + i.toString() + "]";
    const wanted = ipamRoute(routes.items[i], where);
    if (wanted.error != null) return new CniError(ERR_CHECK_MISMATCH, "prevResult: " + wanted.error!.msg);
    if (!anyMatches(present, wanted.route!)) {
      return new CniError(
        ERR_CHECK_MISMATCH,
        "route " + where + " " + describeEntry(routes.items[i]) + " is missing from the pod",
      );
    }
  }
  return null;
}

function anyMatches(present: RouteMessage[], wanted: RouteMessage): bool {
  for (let i = 0; i < present.length; i++) {
    if (matches(present[i], wanted)) return true;
  }
  return false;
}

function matches(route: RouteMessage, wanted: RouteMessage): bool {
  if (route.family != wanted.family || route.dstLen != wanted.dstLen || route.table != wanted.table) {
    return false;
  }
  if (wanted.dstLen > 0 && !sameBytes(route.dst, wanted.dst)) return false;
  // IPv4 dumps leave RTA_PRIORITY out for metric 0.
  if (wanted.hasPriority && (route.hasPriority ? route.priority : 0) != wanted.priority) return false;
  return wanted.gateway == null || sameBytes(route.gateway, wanted.gateway);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): bool {
  if (a == null || b == null) return a == b;
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

/** The entry as prevResult wrote it: {"dst":…,"gw":…} → dst (via gw). */
function describeEntry(entry: JsonValue): string {
  const dst = entry.get("dst");
  const gw = entry.get("gw");
  const via = gw != null && gw.isString ? " via " + gw.stringValue : "";
  return (dst != null && dst.isString ? dst.stringValue : "?") + via;
}
