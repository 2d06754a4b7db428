// ADD's undo step for a macvtap: the link goes back to the node netns as the
// device plugin left it, under its temp name and at its ifindex.

import { IFF_PROMISC, IFF_UP, IFLA_MTU, IFLA_NEW_IFINDEX } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EBUSY } from "../netlink/errno";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, setLink } from "../netlink/rtnl";
import { Session } from "../attach/session";
import { UndoStep } from "../attach/undo";
import { findMovedMacvtap } from "./device_link";
import { tapPath } from "./tap_device";

/**
 * Puts the macvtap back on the node exactly as the device plugin left it: its
 * temp name, its ifindex (so /dev/tap<ifindex>, which the kubelet handed to the
 * pod, names it again), MAC, MTU, promisc and up state.
 * Registered BEFORE the move is sent: a move+rename is not atomic (when the
 * rename fails the kernel has already moved the link), so the undo must also
 * cover "moved but not renamed". It finds our macvtap by what the move set
 * (findMovedMacvtap: name, kind, lower link), never by ifindex: a pod's own link
 * that has the node ifindex is never taken.
 */
export class MoveBackToNode extends UndoStep {
  constructor(
    /** The temp link as found on the node before the move. */
    public original: LinkMessage,
    public podName: string,
  ) {
    super();
  }

  get nodeName(): string {
    const name = this.original.name;
    return name != null ? name! : "";
  }

  run(session: Session): string | null {
    const pod = session.pod();
    const node = session.node();
    const nodeNetns = session.nodeNetns();
    if (pod == null || node == null || nodeNetns < 0) {
      return "cannot reach the namespaces to move " + this.nodeName + " back";
    }
    const found = findMovedMacvtap(pod, [this.podName, this.nodeName], this.original.link);
    if (found.error != null) {
      return "looking for " + this.nodeName + " in the pod: " + found.error!.toString();
    }
    if (found.link == null) return null; // never moved
    const moved = this.moveOut(pod, found.link!.index, nodeNetns);
    if (moved != null) return moved;
    return this.restoreState(node);
  }

  /** Into the node netns under the temp name, at its node ifindex when that is still free there. */
  private moveOut(pod: NetlinkConn, podIndex: i32, nodeNetns: i32): string | null {
    const change = new LinkMessage();
    change.index = podIndex;
    change.netnsFd = nodeNetns;
    change.name = this.nodeName;
    change.newIfindex = this.original.index;
    let error = setLink(pod, change);
    if (error == null) return null;
    if (error.errno != EBUSY) return "moving " + this.nodeName + " back to the node: " + error.toString();
    // The node gave its ifindex away meanwhile: back on the node under another one is still
    // better than in the pod.
    change.unset(IFLA_NEW_IFINDEX);
    error = setLink(pod, change);
    if (error != null) return "moving " + this.nodeName + " back to the node: " + error.toString();
    return "ifindex " + this.original.index.toString() + " is taken on the node: " + this.nodeName +
      " came back under another one, and " + tapPath(this.original.index) + " no longer names it";
  }

  /** MAC, MTU, promisc and up as they were (the move took it down; the pod side changed the rest). */
  private restoreState(node: NetlinkConn): string | null {
    const back = getLinkByName(node, this.nodeName);
    if (back.error != null) return "looking for " + this.nodeName + " on the node: " + back.error!.toString();
    if (back.value == null) return this.nodeName + " is not on the node after moving it back";
    const change = new LinkMessage();
    change.index = back.value!.index;
    const address = this.original.address;
    if (address != null) change.address = address;
    if (this.original.has(IFLA_MTU)) change.mtu = this.original.mtu;
    change.setPromisc((this.original.flags & IFF_PROMISC) != 0);
    change.setUp((this.original.flags & IFF_UP) != 0);
    const error = setLink(node, change);
    return error == null
      ? null
      : "restoring MAC, MTU and up state of " + this.nodeName + ": " + error.toString();
  }
}
