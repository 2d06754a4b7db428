// Giving a NIC back to the node: out of the pod netns (leavePod), then, in the
// node netns, back to the name, MAC, MTU, addresses, routes, up state and alias
// its origin record keeps (restoreOnNode). DEL runs both; so does ADD's
// rollback. The second half also finds a physical NIC the kernel returned on its
// own when the pod netns went away (a veth, by contrast, is destroyed with its netns).

import { CniError } from "../cni/errors";
import { EEXIST } from "../netlink/errno";
import { IFF_UP, IFLA_MTU } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { LinkMessage } from "../netlink/link";
import { getLinkByIndex, getLinkByName, listLinks, setLink } from "../netlink/rtnl";
import { netlinkFailure } from "../attach/failures";
import { Session } from "../attach/session";
import { UndoStep } from "../attach/undo";
import { isPciAddress, pciAddressOf } from "./bus_device";
import { restoreAddresses, restoreRoutes } from "./node_config";
import { OriginRecord } from "./origin_record";

export class LeftPod {
  constructor(
    /** The record of the NIC that left the pod, or null when the pod held none of ours. */
    public record: OriginRecord | null,
    public error: CniError | null,
  ) {}
}

/**
 * Moves our NIC out of the pod: the first link among `names` that carries an
 * origin record for `deviceID` ("" accepts the record's own). A record naming a
 * PCI address must match the link's real parent device, so a pod cannot label a
 * link of its own and have it moved onto the node.
 */
export function leavePod(session: Session, names: string[], deviceID: string): LeftPod {
  const pod = session.pod();
  const nodeNetns = session.nodeNetns();
  if (pod == null) {
    return new LeftPod(null, netlinkFailure("opening a netlink socket in the pod", session.error!));
  }
  if (nodeNetns < 0) return new LeftPod(null, netlinkFailure("opening the node netns", session.error!));
  for (let i = 0; i < names.length; i++) {
    const found = getLinkByName(pod, names[i]);
    if (found.error != null) {
      return new LeftPod(null, netlinkFailure('looking up "' + names[i] + '" in the pod', found.error!));
    }
    if (found.value == null) continue;
    const link = found.value!;
    const record = ownRecord(link, deviceID);
    if (record == null) {
      process.stderr.write(
        'macvtap: hostdev leaves "' + names[i] + '" in the pod: it is not the NIC of deviceID "' + deviceID +
          '"\n',
      );
      continue;
    }
    return new LeftPod(record, moveToNode(session, link, record!, nodeNetns));
  }
  return new LeftPod(null, null);
}

function ownRecord(link: LinkMessage, deviceID: string): OriginRecord | null {
  const record = OriginRecord.decode(link.alias);
  if (record == null || (deviceID.length > 0 && record.deviceID != deviceID)) return null;
  if (!isPciAddress(record.deviceID)) return record;
  const pci = pciAddressOf(link);
  return pci != null && pci == record.deviceID.toLowerCase() ? record : null;
}

/** One RTM_NEWLINK: into the node netns, renamed there to its node name (the kernel brings it down first). */
function moveToNode(
  session: Session,
  link: LinkMessage,
  record: OriginRecord,
  nodeNetns: i32,
): CniError | null {
  const move = new LinkMessage();
  move.index = link.index;
  move.netnsFd = nodeNetns;
  move.name = record.name;
  const error = setLink(session.pod()!, move);
  if (error == null) return null;
  // Not atomic: the move may have happened and only the rename failed; restoreOnNode sorts that out.
  const still = getLinkByIndex(session.pod()!, link.index);
  if (still.error == null && still.value == null) return null;
  return netlinkFailure('moving "' + (link.name != null ? link.name! : "") + '" back to the node', error);
}

/**
 * Finds the NIC of `deviceID` in the node netns by its origin record and puts
 * it back as it was; nothing to do when no link carries the record.
 */
export function restoreOnNode(session: Session, deviceID: string): CniError | null {
  const node = session.node();
  if (node == null) return netlinkFailure("opening a netlink socket in the node netns", session.error!);
  const listed = listLinks(node);
  if (listed.error != null) return netlinkFailure("listing the node's links", listed.error!);
  const links = listed.value!;
  for (let i = 0; i < links.length; i++) {
    const record = OriginRecord.decode(links[i].alias);
    if (record != null && record.deviceID == deviceID) return restore(session, links[i], record);
  }
  return null;
}

function restore(session: Session, link: LinkMessage, record: OriginRecord): CniError | null {
  const node = session.node()!;
  const current = link.name != null ? link.name! : "";
  if (current != record.name) {
    // The kernel renames only links that are down.
    if ((link.flags & IFF_UP) != 0) {
      const downError = setLink(node, linkAt(link.index).setUp(false));
      if (downError != null) return netlinkFailure('taking "' + current + '" down to rename it', downError);
    }
    const rename = linkAt(link.index);
    rename.name = record.name;
    const renameError = setLink(node, rename);
    if (renameError != null && renameError.errno == EEXIST) {
      // Keep the record so a later DEL (or the operator) can finish; the NIC is on the node either way.
      process.stderr.write(
        'macvtap: hostdev left "' + current + '" under that name: "' + record.name +
          '" is taken on the node\n',
      );
      return null;
    }
    if (renameError != null) {
      return netlinkFailure('renaming "' + current + '" back to "' + record.name + '"', renameError);
    }
  }
  restoreAddressAndMtu(session, link, record);
  return restoreIpAndUp(node, link.index, record);
}

/**
 * Addresses (while down, so the kernel announces them on up), up, routes (a
 * gateway is reachable only then; a NIC that was down had none of its own),
 * and the old alias last: until everything is back the record stays, so that a
 * DEL retried after an error finds the NIC and finishes.
 */
function restoreIpAndUp(node: NetlinkConn, index: i32, record: OriginRecord): CniError | null {
  const addressError = restoreAddresses(node, index, record.nodeConfig);
  if (addressError != null) return addressError;
  if (record.up) {
    const upError = setLink(node, linkAt(index).setUp(true));
    if (upError != null) return netlinkFailure('bringing "' + record.name + '" up', upError);
    const routeError = restoreRoutes(node, index, record.nodeConfig);
    if (routeError != null) return routeError;
  }
  const settle = linkAt(index);
  settle.alias = record.alias;
  const error = setLink(node, settle);
  return error == null ? null : netlinkFailure('restoring the alias of "' + record.name + '"', error);
}

/** Best effort: some drivers refuse a MAC change; the NIC is still better back on the node than stuck. */
function restoreAddressAndMtu(session: Session, link: LinkMessage, record: OriginRecord): void {
  const change = linkAt(link.index);
  const address = link.address;
  if (record.mac.length > 0 && (address == null || !sameBytes(address!, record.mac))) {
    change.address = record.mac;
  }
  if (record.mtu > 0 && link.mtu != record.mtu) change.mtu = record.mtu;
  if (change.address == null && !change.has(IFLA_MTU)) return;
  const error = setLink(session.node()!, change);
  if (error != null) {
    process.stderr.write(
      'macvtap: hostdev cannot restore MAC/MTU of "' + record.name + '": ' + error.toString() + "\n",
    );
  }
}

/** An empty change of link `index`. */
function linkAt(index: i32): LinkMessage {
  const link = new LinkMessage();
  link.index = index;
  return link;
}

function sameBytes(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/**
 * ADD's rollback: the NIC back to the node, whether it got into the pod (as CNI_IFNAME or, when only the
 * rename failed, under its node name) or not.
 */
export class ReturnNicToNode extends UndoStep {
  constructor(
    public ifname: string,
    public deviceID: string,
    public nodeName: string,
  ) {
    super();
  }

  run(session: Session): string | null {
    const left = leavePod(session, [this.ifname, this.nodeName], this.deviceID);
    if (left.error != null) return left.error!.msg;
    const error = restoreOnNode(session, this.deviceID);
    return error == null ? null : error.msg;
  }
}
