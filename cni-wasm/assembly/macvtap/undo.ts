// Rollback for ADD: every step that changes something pushes the step that
// reverses it, right after it succeeds; on a later failure the stack unwinds in
// reverse, so the node ends as it started (the macvtap back in the node netns
// under its temporary name and ifindex, as it was, the IPAM lease released).

import { CniError } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { IFF_PROMISC, IFF_UP, IFLA_MTU, IFLA_NEW_IFINDEX } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EBUSY } from "../netlink/errno";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, setLink } from "../netlink/rtnl";
import { findMovedMacvtap } from "./device_link";
import { Session } from "./session";
import { tapPath } from "./tap_device";

export abstract class UndoStep {
  /** Reverses the step; returns what went wrong, or null. */
  abstract run(session: Session): string | null;
}

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
    const host = session.host();
    const hostNetns = session.hostNetns();
    if (pod == null || host == null || hostNetns < 0) return "cannot reach the namespaces to move " + this.nodeName + " back";
    const found = findMovedMacvtap(pod, [this.podName, this.nodeName], this.original.link);
    if (found.error != null) return "looking for " + this.nodeName + " in the pod: " + found.error!.toString();
    if (found.link == null) return null; // never moved
    const moved = this.moveOut(pod, found.link!.index, hostNetns);
    if (moved != null) return moved;
    return this.restoreState(host);
  }

  /** Into the node netns under the temp name, at its node ifindex when that is still free there. */
  private moveOut(pod: NetlinkConn, podIndex: i32, hostNetns: i32): string | null {
    const change = new LinkMessage();
    change.index = podIndex;
    change.netnsFd = hostNetns;
    change.name = this.nodeName;
    change.newIfindex = this.original.index;
    let error = setLink(pod, change);
    if (error == null) return null;
    if (error.errno != EBUSY) return "moving " + this.nodeName + " back to the node: " + error.toString();
    // The node gave its ifindex away meanwhile: back on the node under another one is still better than in the pod.
    change.unset(IFLA_NEW_IFINDEX);
    error = setLink(pod, change);
    if (error != null) return "moving " + this.nodeName + " back to the node: " + error.toString();
    return "ifindex " + this.original.index.toString() + " is taken on the node: " + this.nodeName +
      " came back under another one, and " + tapPath(this.original.index) + " no longer names it";
  }

  /** MAC, MTU, promisc and up as they were (the move took it down; the pod side changed the rest). */
  private restoreState(host: NetlinkConn): string | null {
    const back = getLinkByName(host, this.nodeName);
    if (back.error != null) return "looking for " + this.nodeName + " on the node: " + back.error!.toString();
    if (back.value == null) return this.nodeName + " is not on the node after moving it back";
    const change = new LinkMessage();
    change.index = back.value!.index;
    const address = this.original.address;
    if (address != null) change.address = address;
    if (this.original.has(IFLA_MTU)) change.mtu = this.original.mtu;
    change.setPromisc((this.original.flags & IFF_PROMISC) != 0);
    change.setUp((this.original.flags & IFF_UP) != 0);
    const error = setLink(host, change);
    return error == null ? null : "restoring MAC, MTU and up state of " + this.nodeName + ": " + error.toString();
  }
}

/** Releases what the IPAM plugin handed out (IPAM DEL with the same config). */
export class ReleaseIpam extends UndoStep {
  /** False once the ADD is known never to have started the plugin: then there is nothing to release. */
  needed: bool = true;

  constructor(
    public ipamType: string,
    public stdin: string,
  ) {
    super();
  }

  run(_session: Session): string | null {
    if (!this.needed) return null;
    const released = execIpam(this.ipamType, "DEL", this.stdin);
    const error = released.error;
    return error == null ? null : "releasing the IPAM allocation: " + error.msg;
  }
}

export class UndoStack {
  private steps: UndoStep[] = [];

  push(step: UndoStep): void {
    this.steps.push(step);
  }

  /**
   * Runs every step, newest first, and returns `cause` with any rollback
   * failures appended to its details (the runtime must know if cleanup was partial).
   */
  unwind(session: Session, cause: CniError): CniError {
    const problems = new Array<string>();
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const problem = this.steps[i].run(session);
      if (problem != null) problems.push(problem);
    }
    this.steps = [];
    if (problems.length == 0) return cause;
    const details = cause.details.length > 0 ? cause.details + "; " : "";
    return new CniError(cause.code, cause.msg, details + "rollback incomplete: " + problems.join("; "));
  }
}
