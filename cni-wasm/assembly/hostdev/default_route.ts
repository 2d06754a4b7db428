// The node's default-route interfaces: the links that carry a default route
// (dst_len 0), IPv4 or IPv6, in ANY routing table (policy routing sends part of
// the node's traffic through tables other than main), directly (RTA_OIF) or as
// one of the next hops of a multipath route. Handing one of them to a pod would
// cut the node off (part of) its network, so neither the device plugin nor the
// CNI ever does.

import { AF_UNSPEC, RTN_UNICAST } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { Result } from "../netlink/error";
import { RouteMessage } from "../netlink/route";
import { listRoutes } from "../netlink/rtnl";

/** ifindexes carrying a default route of any table in `conn`'s netns (one RTM_GETROUTE dump). */
export function defaultRouteIndexes(conn: NetlinkConn): Result<i32[]> {
  const listed = listRoutes(conn, AF_UNSPEC);
  if (listed.error != null) return Result.fail<i32[]>(listed.error!);
  return Result.ok<i32[]>(defaultRouteOifs(listed.value!));
}

/** The output ifindexes of the default routes (any table) among `routes`, each once. */
export function defaultRouteOifs(routes: RouteMessage[]): i32[] {
  const out = new Array<i32>();
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i];
    if (!isDefaultRoute(route)) continue;
    if (route.oif != 0) addOnce(out, <i32> route.oif);
    for (let j = 0; j < route.nexthopOifs.length; j++) addOnce(out, route.nexthopOifs[j]);
  }
  return out;
}

/** A unicast route to 0.0.0.0/0 or ::/0, in whichever table. */
export function isDefaultRoute(route: RouteMessage): bool {
  return route.dstLen == 0 && route.type == RTN_UNICAST;
}

function addOnce(list: i32[], index: i32): void {
  if (index > 0 && !list.includes(index)) list.push(index);
}
