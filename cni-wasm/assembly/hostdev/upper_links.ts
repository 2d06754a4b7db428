// Links stacked on a NIC: the macvtaps, macvlans, vlans (any link whose lower
// link, IFLA_LINK, it is), in the node netns and in every netns the node moved a
// link into (the macvtaps the CNI handed to pods). The kernel lets such a NIC
// move, and its uppers stay stacked on it: the pod that took it would then own
// the uplink of the node's vlans and of other pods' macvtaps, and could take them
// all down. So hostdev refuses it.

import { IFLA_LINK, IFLA_LINK_NETNSID } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EINVAL } from "../netlink/errno";
import { Result } from "../netlink/error";
import { LinkMessage } from "../netlink/link";
import { linksOfNetns, listNetnsIds } from "../netlink/peer_netns";
import { listLinks } from "../netlink/rtnl";

/** "<name> (<kind>)" of each link stacked on `nic`, node netns first; empty when there are none. */
export function upperLinks(node: NetlinkConn, nic: LinkMessage): Result<string[]> {
  const found = new Array<string>();
  const local = listLinks(node);
  if (local.error != null) return Result.fail<string[]>(local.error!);
  collect(local.value!, nic, false, "", found);
  const ids = listNetnsIds(node);
  if (ids.error != null) return Result.fail<string[]>(ids.error!);
  const nsids = ids.value!;
  for (let i = 0; i < nsids.length; i++) {
    const links = linksOfNetns(node, nsids[i]);
    const error = links.error;
    // That netns died since the nsid dump: nothing in it is stacked on anything any more.
    if (error != null && error.errno == EINVAL) continue;
    if (error != null) return Result.fail<string[]>(error!);
    collect(links.value!, nic, true, " in netns id " + nsids[i].toString(), found);
  }
  return Result.ok<string[]>(found);
}

/**
 * The links among `links` whose lower link is `nic`. In the node netns that is
 * IFLA_LINK naming the NIC without IFLA_LINK_NETNSID; seen in a peer netns, the
 * lower lives elsewhere (IFLA_LINK_NETNSID). A veth is skipped: its IFLA_LINK is
 * its peer, not a lower link.
 */
function collect(links: LinkMessage[], nic: LinkMessage, peer: bool, where: string, found: string[]): void {
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    if (!link.has(IFLA_LINK) || <i32> link.link != nic.index || link.has(IFLA_LINK_NETNSID) != peer) continue;
    if (!peer && link.index == nic.index) continue;
    const kind = link.kind;
    if (kind == null || kind == "veth") continue;
    const name = link.name != null ? link.name! : "ifindex " + link.index.toString();
    found.push('"' + name + '" (' + kind! + ")" + where);
  }
}
