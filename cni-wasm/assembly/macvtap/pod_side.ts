// The macvtap inside the pod, after the move: MAC, MTU and promisc while it is
// down, IPAM addresses and the neighbour-notify sysctls, then up (so the kernel
// announces the addresses), then routes, then a read-back that checks the
// ifindex and gives the result its final MAC and MTU.

import { CniError, ERR_TAP_DEVICE } from "../cni/errors";
import { Invocation } from "../cni/invocation";
import { JsonValue } from "../json/value";
import { NetlinkConn } from "../netlink/conn";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, setLink } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";
import { addAddresses, addressFamilies, addRoutes } from "./ip_config";
import { enableNeighbourNotify } from "./neighbour_notify";

export class PodLink {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/** Configures link `index` (already named CNI_IFNAME in the pod) and reads it back. */
export function configurePodLink(
  inv: Invocation,
  pod: NetlinkConn,
  podNetns: i32,
  index: i32,
  mac: Uint8Array | null,
  ipamResult: JsonValue | null,
): PodLink {
  const ifname = inv.env.ifname;
  const settings = new LinkMessage();
  settings.index = index;
  if (mac != null) settings.address = mac;
  if (inv.conf.mtu > 0) settings.mtu = <u32>inv.conf.mtu;
  if (inv.conf.promiscMode) settings.setPromisc(true);
  const settingsError = setLink(pod, settings);
  if (settingsError != null) return failed(netlinkFailure("configuring \"" + ifname + "\"", settingsError));
  if (ipamResult != null) {
    const addressError = addAddresses(pod, index, ipamResult);
    if (addressError != null) return failed(addressError);
    enableNeighbourNotify(podNetns, ifname, addressFamilies(ipamResult));
  }
  const up = new LinkMessage();
  up.index = index;
  up.setUp(true);
  const upError = setLink(pod, up);
  if (upError != null) return failed(netlinkFailure("bringing \"" + ifname + "\" up", upError));
  if (ipamResult != null) {
    const routeError = addRoutes(pod, index, ipamResult);
    if (routeError != null) return failed(routeError);
  }
  return reread(pod, ifname, index);
}

function failed(error: CniError): PodLink {
  return new PodLink(null, error);
}

/**
 * Reads the link back (its MAC when none was requested, its MTU) and checks the
 * ifindex survived the move: the device plugin told the kubelet /dev/tap<ifindex>,
 * and a pod netns that already used that ifindex would have renumbered it.
 */
function reread(pod: NetlinkConn, ifname: string, expectedIndex: i32): PodLink {
  const found = getLinkByName(pod, ifname);
  if (found.error != null) return failed(netlinkFailure("reading \"" + ifname + "\" back", found.error!));
  if (found.value == null) {
    return failed(new CniError(ERR_TAP_DEVICE, "\"" + ifname + "\" vanished from the pod right after the move"));
  }
  const link = found.value!;
  if (link.index != expectedIndex) {
    return failed(new CniError(
      ERR_TAP_DEVICE,
      "the macvtap became ifindex " + link.index.toString() + " in the pod (was " + expectedIndex.toString() +
        "), so /dev/tap" + expectedIndex.toString() + " given to the pod no longer matches it",
    ));
  }
  return new PodLink(link, null);
}
