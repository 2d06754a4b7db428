// The link inside the pod, after the move: the requested MAC, MTU and promisc
// while it is down; then IPAM (here, not before the move: the dhcp plugin leases
// on CNI_IFNAME inside CNI_NETNS, with the interface's own MAC), the IPAM
// result's MAC when it reserved one (kube-ovn), addresses and the
// neighbour-notify sysctls; then up (so the kernel announces the addresses),
// routes, and a read-back that checks the ifindex and gives the result its
// final MAC and MTU. Shared by macvtap and hostdev attachments.

import { CniError, ERR_TAP_DEVICE } from "../cni/errors";
import { checkIpamPlugin, execIpam, IpamOutcome } from "../cni/ipam";
import { Invocation } from "../cni/invocation";
import { parseMac } from "../cni/mac";
import { JsonValue } from "../json/value";
import { NetlinkConn } from "../netlink/conn";
import { NetlinkError } from "../netlink/error";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, setLink } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";
import { addAddresses, addressFamilies, addRoutes } from "./ip_config";
import { enableNeighbourNotify } from "./neighbour_notify";
import { ReleaseIpam, UndoStack } from "./undo";

export class PodLink {
  constructor(
    public link: LinkMessage | null,
    /** The normalized IPAM result, when the config has ipam. */
    public ipamResult: JsonValue | null,
    public error: CniError | null,
  ) {}
}

/** Configures link `index` (already named CNI_IFNAME in the pod), runs IPAM, and reads the link back. */
export function configurePodLink(
  inv: Invocation,
  pod: NetlinkConn,
  podNetns: i32,
  index: i32,
  requestedMac: Uint8Array | null,
  undo: UndoStack,
): PodLink {
  const ifname = inv.env.ifname;
  const settingsError = applySettings(pod, index, requestedMac, inv);
  if (settingsError != null) return failed(netlinkFailure('configuring "' + ifname + '"', settingsError));
  const ipam = ipamAdd(inv, undo);
  if (ipam.error != null) return failed(ipam.error!);
  const ipamResult = ipam.result;
  if (ipamResult != null) {
    const ipError = applyIpamAddresses(pod, podNetns, index, ifname, ipamResult);
    if (ipError != null) return failed(ipError);
  }
  const up = new LinkMessage();
  up.index = index;
  up.setUp(true);
  const upError = setLink(pod, up);
  if (upError != null) return failed(netlinkFailure('bringing "' + ifname + '" up', upError));
  if (ipamResult != null) {
    const routeError = addRoutes(pod, index, ipamResult);
    if (routeError != null) return failed(routeError);
  }
  const read = reread(pod, ifname, index);
  read.ipamResult = ipamResult;
  return read;
}

/** MAC, MTU and promisc in one RTM_NEWLINK. */
function applySettings(
  pod: NetlinkConn,
  index: i32,
  mac: Uint8Array | null,
  inv: Invocation,
): NetlinkError | null {
  const settings = new LinkMessage();
  settings.index = index;
  if (mac != null) settings.address = mac;
  if (inv.conf.mtu > 0) settings.mtu = <u32> inv.conf.mtu;
  if (inv.conf.promiscMode) settings.setPromisc(true);
  return setLink(pod, settings);
}

/**
 * Before the link moves: the config's IPAM plugin is in CNI_PATH and speaks its
 * cniVersion (checkIpamPlugin), so a misconfigured IPAM never costs a move and a rollback.
 */
export function ipamReady(inv: Invocation): CniError | null {
  if (inv.conf.ipamType.length == 0) return null;
  return checkIpamPlugin(inv.conf.ipamType, inv.conf.cniVersion);
}

/**
 * IPAM ADD when the config has ipam; its release is registered first, since a failing ADD may still hold a
 * lease.
 */
export function ipamAdd(inv: Invocation, undo: UndoStack): IpamOutcome {
  if (inv.conf.ipamType.length == 0) return new IpamOutcome(null, null);
  const release = new ReleaseIpam(inv.conf.ipamType, inv.stdin);
  undo.push(release);
  const outcome = execIpam(inv.conf.ipamType, "ADD", inv.stdin);
  // A plugin that never started holds nothing: no IPAM DEL, and no "release failed" in the error's details.
  release.needed = outcome.ran;
  return outcome;
}

/**
 * The IPAM result's MAC (it wins over every other source), its addresses, and the neighbour-notify sysctls.
 */
function applyIpamAddresses(
  pod: NetlinkConn,
  podNetns: i32,
  index: i32,
  ifname: string,
  result: JsonValue,
): CniError | null {
  const mac = macFromIpam(result);
  if (mac != null) {
    const change = new LinkMessage();
    change.index = index;
    change.address = mac;
    const macError = setLink(pod, change);
    if (macError != null) {
      return netlinkFailure("setting the IPAM plugin's MAC on \"" + ifname + '"', macError);
    }
  }
  const addressError = addAddresses(pod, index, result);
  if (addressError != null) return addressError;
  enableNeighbourNotify(podNetns, ifname, addressFamilies(result));
  return null;
}

/**
 * kube-ovn answers with the MAC it reserved for the pod in interfaces[].mac; null when the result names none.
 */
export function macFromIpam(result: JsonValue): Uint8Array | null {
  const interfaces = result.get("interfaces");
  if (interfaces == null || !interfaces.isArray) return null;
  for (let i = 0; i < interfaces.items.length; i++) {
    const mac = interfaces.items[i].get("mac");
    if (mac == null || !mac.isString) continue;
    const parsed = parseMac(mac.stringValue);
    if (parsed.error == null) return parsed.bytes;
  }
  return null;
}

function failed(error: CniError): PodLink {
  return new PodLink(null, null, error);
}

/**
 * Reads the link back (its MAC when none was requested, its MTU) and checks the
 * ifindex survived the move: the device plugin told the kubelet /dev/tap<ifindex>,
 * and a pod netns that already used that ifindex would have renumbered it.
 */
function reread(pod: NetlinkConn, ifname: string, expectedIndex: i32): PodLink {
  const found = getLinkByName(pod, ifname);
  if (found.error != null) return failed(netlinkFailure('reading "' + ifname + '" back', found.error!));
  if (found.value == null) {
    return failed(
      new CniError(ERR_TAP_DEVICE, '"' + ifname + '" vanished from the pod right after the move'),
    );
  }
  const link = found.value!;
  if (link.index != expectedIndex) {
    return failed(
      new CniError(
        ERR_TAP_DEVICE,
        "the macvtap became ifindex " + link.index.toString() + " in the pod (was " +
          expectedIndex.toString() +
          "), so /dev/tap" + expectedIndex.toString() + " given to the pod no longer matches it",
      ),
    );
  }
  return new PodLink(link, null, null);
}
