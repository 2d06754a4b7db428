// Macvtaps that left the node netns for another one (a pod's), still stacked on
// a node link. The daemon asks before it re-creates a temp link at the ifindex it
// once promised the kubelet (/dev/tap<ifindex>): while the pod's macvtap lives,
// re-creating would make a second one. The peer namespaces and their links come
// from netlink/peer_netns.ts; kept are macvtaps whose lower link lives in another
// netns (IFLA_LINK_NETNSID).

import { JsonValue } from "../json/value";
import { IFLA_LINK_NETNSID } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EINVAL } from "../netlink/errno";
import { linksOfNetns, listNetnsIds } from "../netlink/peer_netns";
import { Answer } from "./operations";

/** `{"macvtaps":[{"netnsId","ifindex","lowerIfindex","name"}…]}` for every peer netns of the node. */
export function listPeerMacvtaps(conn: NetlinkConn): Answer {
  const ids = listNetnsIds(conn);
  if (ids.error != null) return Answer.netlink(ids.error!);
  const macvtaps = JsonValue.array();
  const nsids = ids.value!;
  for (let i = 0; i < nsids.length; i++) {
    const links = linksOfNetns(conn, nsids[i]);
    const error = links.error;
    // The netns died since the nsid dump: nothing of it is left to report.
    if (error != null && error.errno == EINVAL) continue;
    if (error != null) return Answer.netlink(error);
    const all = links.value!;
    for (let j = 0; j < all.length; j++) {
      const link = all[j];
      const kind = link.kind;
      if (kind == null || kind != "macvtap" || !link.has(IFLA_LINK_NETNSID)) continue;
      macvtaps.push(
        JsonValue.object()
          .setNumber("netnsId", <f64> nsids[i])
          .setNumber("ifindex", <f64> link.index)
          .setNumber("lowerIfindex", <f64> link.link)
          .setString("name", link.name != null ? link.name! : ""),
      );
    }
  }
  return Answer.ok(JsonValue.object().set("macvtaps", macvtaps));
}
