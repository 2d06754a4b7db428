// ADD: take the macvtap the device plugin created for deviceID in the node
// netns, move it into the pod as CNI_IFNAME, configure it there and run IPAM
// (attach/pod_side.ts), and hand /dev/tap<ifindex> to QEMU's user.
// Every step that changes something registers its undo before the next runs.

import { CniError, ERR_NETLINK, ERR_TAP_DEVICE, invalidConfig } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { NetlinkConn } from "../netlink/conn";
import { EBUSY } from "../netlink/errno";
import { LinkMessage } from "../netlink/link";
import { getLinkByIndex, setLink } from "../netlink/rtnl";
import { netlinkFailure, netnsFailure } from "../attach/failures";
import { configurePodLink, ipamReady } from "../attach/pod_side";
import { ifnameInUse, requestedMac } from "../attach/preconditions";
import { buildResult, resultFits } from "../attach/result";
import { Session } from "../attach/session";
import { UndoStack } from "../attach/undo";
import { findDeviceLink, findMovedMacvtap } from "./device_link";
import { MoveBackToNode } from "./move_back";
import { chownTap, tapPath } from "./tap_device";

export const DEVICE_ID_REQUIRED =
  "deviceID is required: the pod did not request the macvtap resource of this network, or Multus found no " +
  "device allocated for it";

export function cmdAdd(inv: Invocation): Outcome {
  if (inv.conf.deviceID.length == 0) return Outcome.failed(invalidConfig(DEVICE_ID_REQUIRED));
  const requested = requestedMac(inv);
  if (requested.error != null) return Outcome.failed(requested.error!);
  const opened = Session.open(inv.env.netns);
  if (opened.session == null) return Outcome.failed(netnsFailure(inv.env.netns, opened.errno));
  const session = opened.session!;
  const outcome = attach(inv, session, requested.mac);
  session.close();
  return outcome;
}

function attach(inv: Invocation, session: Session, requested: Uint8Array | null): Outcome {
  const node = session.node();
  const pod = session.pod();
  if (node == null || pod == null) {
    return Outcome.failed(netlinkFailure("opening netlink sockets", session.error!));
  }
  const inUse = ifnameInUse(pod, inv.env.ifname, inv.env.netns);
  if (inUse != null) return Outcome.failed(inUse);
  const device = findDeviceLink(node, inv.conf.deviceID);
  if (device.error != null) return Outcome.failed(device.error!);

  const ipamError = ipamReady(inv);
  if (ipamError != null) return Outcome.failed(ipamError);

  const undo = new UndoStack();
  const original = device.link!;
  const moveError = moveIntoPod(session, node, pod, original, inv.env.ifname, undo);
  if (moveError != null) return Outcome.failed(undo.unwind(session, moveError));
  const moved = movedIntoPod(pod, original, inv.env.ifname);
  if (moved.error != null) return Outcome.failed(undo.unwind(session, moved.error!));
  const configured = configurePodLink(inv, pod, session.podNetns, moved.link!.index, requested, undo);
  if (configured.error != null) return Outcome.failed(undo.unwind(session, configured.error!));
  const tapError = chownTap(original.index, inv.conf.owner, inv.conf.group);
  if (tapError != null) return Outcome.failed(undo.unwind(session, tapError));
  const result = buildResult(inv, configured.link!, configured.ipamResult);
  const sizeError = resultFits(result);
  if (sizeError != null) return Outcome.failed(undo.unwind(session, sizeError));
  return Outcome.done(result);
}

/**
 * One RTM_NEWLINK moves and renames: the kernel renames inside the target netns,
 * so the name cannot clash in the node's. It also pins the ifindex: the device
 * plugin told the kubelet /dev/tap<ifindex>, and the kernel renames that node
 * when it renumbers the link, so a pod netns that already uses the ifindex must
 * refuse the move (EBUSY) rather than take a macvtap whose /dev/tapN is gone.
 * The undo is registered before the move: when the rename fails, the kernel has
 * already moved the link (measured on 6.18), and it must still come back.
 */
function moveIntoPod(
  session: Session,
  node: NetlinkConn,
  pod: NetlinkConn,
  device: LinkMessage,
  ifname: string,
  undo: UndoStack,
): CniError | null {
  const nodeName = device.name != null ? device.name! : "";
  const move = new LinkMessage();
  move.index = device.index;
  move.netnsFd = session.podNetns;
  move.name = ifname;
  move.newIfindex = device.index;
  undo.push(new MoveBackToNode(device, ifname));
  const error = setLink(node, move);
  if (error == null) return null;
  if (error.errno == EBUSY) {
    const holder = getLinkByIndex(pod, device.index);
    if (holder.error == null && holder.value != null) return ifindexTaken(device.index, holder.value!);
  }
  return netlinkFailure('moving "' + nodeName + '" into the pod as "' + ifname + '"', error);
}

/**
 * Our macvtap in the pod, found by what the move set (see findMovedMacvtap), at
 * its node ifindex. A kernel that ignores IFLA_NEW_IFINDEX renumbers instead of
 * refusing: the same answer then, and the undo brings the macvtap back.
 */
function movedIntoPod(pod: NetlinkConn, device: LinkMessage, ifname: string): MovedLink {
  const found = findMovedMacvtap(pod, [ifname], device.link);
  if (found.error != null) {
    return new MovedLink(null, netlinkFailure('finding "' + ifname + '" in the pod', found.error!));
  }
  const link = found.link;
  if (link == null) {
    return new MovedLink(
      null,
      new CniError(ERR_NETLINK, 'our macvtap is not in the pod as "' + ifname + '" after the move'),
    );
  }
  if (link.index != device.index) return new MovedLink(null, ifindexTaken(device.index, null));
  return new MovedLink(link, null);
}

class MovedLink {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/** The pod netns already uses the macvtap's ifindex (`holder`, when known). */
function ifindexTaken(index: i32, holder: LinkMessage | null): CniError {
  const who = holder != null && holder.name != null ? ' ("' + holder.name! + '")' : "";
  return new CniError(
    ERR_TAP_DEVICE,
    "the pod netns already has ifindex " + index.toString() + who +
      ": the macvtap would be renumbered there, and " +
      tapPath(index) + ", which the kubelet gave the pod, would no longer exist",
    "the kernel names a macvtap's character device after its ifindex and renames it when a move " +
      "renumbers the link",
  );
}
