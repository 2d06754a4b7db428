// Finding the macvtap the device plugin created for a deviceID in the node
// netns, and refusing anything else: a deviceID must never move eth0, a veth or
// a bridge into a pod. Once moved, finding that same macvtap again in the pod.

import { CniError, ERR_DEVICE_NOT_FOUND, ERR_REFUSED_LINK } from "../cni/errors";
import { validateIfname } from "../cni/env";
import { IFLA_LINK, IFLA_LINK_NETNSID } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { NetlinkError } from "../netlink/error";
import { LinkMessage } from "../netlink/link";
import { getLinkByName } from "../netlink/rtnl";
import { netlinkFailure } from "../attach/failures";
import { tempLinkName } from "./temp_link_name";

export class DeviceLookup {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/**
 * The macvtap for `deviceID`: "mvt<xxh64>" (kubevirt/macvtap-cni's TemporaryInterfaceName,
 * pkg/util/iface_name.go), else a link named exactly `deviceID` (the naming of its older
 * releases, which the kube-ovn fork keeps).
 */
export function findDeviceLink(node: NetlinkConn, deviceID: string): DeviceLookup {
  const tempName = tempLinkName(deviceID);
  let found = getLinkByName(node, tempName);
  let triedNames = '"' + tempName + '"';
  if (found.error == null && found.value == null && validateIfname(deviceID) == null) {
    found = getLinkByName(node, deviceID);
    triedNames += ' or "' + deviceID + '"';
  }
  if (found.error != null) {
    return new DeviceLookup(
      null,
      netlinkFailure('looking up the macvtap of deviceID "' + deviceID + '"', found.error!),
    );
  }
  if (found.value == null) {
    return new DeviceLookup(
      null,
      new CniError(
        ERR_DEVICE_NOT_FOUND,
        'no macvtap for deviceID "' + deviceID + '" in the node netns: expected a link named ' + triedNames,
        "the macvtap device plugin creates it when the kubelet allocates the device to the pod; " +
          "check that the pod requests the macvtap resource of this network",
      ),
    );
  }
  const link = found.value!;
  return new DeviceLookup(link, refuseNonMacvtap(link, deviceID));
}

function refuseNonMacvtap(link: LinkMessage, deviceID: string): CniError | null {
  const kind = link.kind;
  if (kind != null && kind == "macvtap") return null;
  const name = link.name != null ? link.name! : "ifindex " + link.index.toString();
  const described = kind == null
    ? "a device without a link kind (a physical NIC or loopback)"
    : "kind " + kind;
  return new CniError(
    ERR_REFUSED_LINK,
    'refusing to move link "' + name + '" (' + described + ') into the pod: deviceID "' + deviceID +
      '" must name a macvtap created by the device plugin',
  );
}

export class MovedLookup {
  constructor(
    /** Our macvtap in the pod, or null when the pod holds none under the names looked for. */
    public link: LinkMessage | null,
    public error: NetlinkError | null,
  ) {}
}

/**
 * Our macvtap in the pod after (part of) the move, recognised by what the move
 * itself set and the kernel cannot give a pod's own link: one of `names` (CNI_IFNAME,
 * or the node name when only the rename failed), kind macvtap, and a lower link
 * with ifindex `lowerIndex` in another netns (the node's). Never by ifindex: a
 * pod that already uses the node ifindex gets the macvtap renumbered, and the
 * pod's link with that ifindex is not ours.
 */
export function findMovedMacvtap(pod: NetlinkConn, names: string[], lowerIndex: u32): MovedLookup {
  for (let i = 0; i < names.length; i++) {
    if (names[i].length == 0) continue;
    const found = getLinkByName(pod, names[i]);
    if (found.error != null) return new MovedLookup(null, found.error);
    const link = found.value;
    if (link != null && isMovedMacvtap(link, lowerIndex)) return new MovedLookup(link, null);
  }
  return new MovedLookup(null, null);
}

function isMovedMacvtap(link: LinkMessage, lowerIndex: u32): bool {
  const kind = link.kind;
  if (kind == null || kind != "macvtap") return false;
  return link.has(IFLA_LINK) && link.link == lowerIndex && link.has(IFLA_LINK_NETNSID);
}
