// Finding the macvtap the device plugin created for a deviceID in the node
// netns, and refusing anything else: a deviceID must never move eth0, a veth or
// a bridge into a pod.

import { CniError, ERR_DEVICE_NOT_FOUND, ERR_REFUSED_LINK } from "../cni/errors";
import { validateIfname } from "../cni/env";
import { NetlinkConn } from "../netlink/conn";
import { LinkMessage } from "../netlink/link";
import { getLinkByName } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";
import { temporaryInterfaceName } from "./temp_name";

export class DeviceLookup {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/**
 * The macvtap for `deviceID`: "mvt<xxh64>" (kubevirt/macvtap-cni since PR #150),
 * else a link named exactly `deviceID` (the kube-ovn fork's naming).
 */
export function findDeviceLink(host: NetlinkConn, deviceID: string): DeviceLookup {
  const tempName = temporaryInterfaceName(deviceID);
  let found = getLinkByName(host, tempName);
  let triedNames = "\"" + tempName + "\"";
  if (found.error == null && found.value == null && validateIfname(deviceID) == null) {
    found = getLinkByName(host, deviceID);
    triedNames += " or \"" + deviceID + "\"";
  }
  if (found.error != null) {
    return new DeviceLookup(null, netlinkFailure("looking up the macvtap of deviceID \"" + deviceID + "\"", found.error!));
  }
  if (found.value == null) {
    return new DeviceLookup(null, new CniError(
      ERR_DEVICE_NOT_FOUND,
      "no macvtap for deviceID \"" + deviceID + "\" in the node netns: expected a link named " + triedNames,
      "the macvtap device plugin creates it when the kubelet allocates the device to the pod; " +
        "check that the pod requests the macvtap resource of this network",
    ));
  }
  const link = found.value!;
  return new DeviceLookup(link, refuseNonMacvtap(link, deviceID));
}

function refuseNonMacvtap(link: LinkMessage, deviceID: string): CniError | null {
  const kind = link.kind;
  if (kind != null && kind == "macvtap") return null;
  const name = link.name != null ? link.name! : "ifindex " + link.index.toString();
  const described = kind == null ? "a device without a link kind (a physical NIC or loopback)" : "kind " + kind;
  return new CniError(
    ERR_REFUSED_LINK,
    "refusing to move link \"" + name + "\" (" + described + ") into the pod: deviceID \"" + deviceID +
      "\" must name a macvtap created by the device plugin",
  );
}
