// Finding the NIC a hostdev deviceID names in the node netns — by PCI address
// (how the device plugin and Multus name it), else by interface name (NICs a
// resource selects by name, e.g. a veth standing in for one in tests) — and
// refusing the links whose loss would hurt the node.

import { CniError, ERR_DEVICE_NOT_FOUND, ERR_REFUSED_LINK } from "../cni/errors";
import { IFF_LOOPBACK, IFLA_MASTER } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, listLinks } from "../netlink/rtnl";
import { netlinkFailure } from "../attach/failures";
import { isPciAddress, pciAddressOf } from "./bus_device";
import { defaultRouteIndexes } from "./default_route";
import { upperLinks } from "./upper_links";

export class NicLookup {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/** The NIC for `deviceID`, or an error: 100 none, 101 refused (see refusalOf), 103 netlink. */
export function findNic(node: NetlinkConn, deviceID: string): NicLookup {
  const found = isPciAddress(deviceID) ? findByPciAddress(node, deviceID) : findByName(node, deviceID);
  if (found.error != null) return found;
  const link = found.link;
  if (link == null) {
    return new NicLookup(
      null,
      new CniError(
        ERR_DEVICE_NOT_FOUND,
        'no NIC for deviceID "' + deviceID + '" in the node netns',
        "the deviceID is the PCI address (or, for NICs selected by name, the name) the device plugin " +
          "advertised; the NIC may still be in another pod, or gone from the node",
      ),
    );
  }
  return new NicLookup(link, refusalOf(node, link!, deviceID));
}

/** The link whose parent device is (or sits under) PCI device `address`. */
export function findByPciAddress(node: NetlinkConn, address: string): NicLookup {
  const listed = listLinks(node);
  if (listed.error != null) {
    return new NicLookup(null, netlinkFailure("listing the node's links", listed.error!));
  }
  const wanted = address.toLowerCase();
  const links = listed.value!;
  for (let i = 0; i < links.length; i++) {
    const pci = pciAddressOf(links[i]);
    if (pci != null && pci == wanted) return new NicLookup(links[i], null);
  }
  return new NicLookup(null, null);
}

function findByName(node: NetlinkConn, name: string): NicLookup {
  const found = getLinkByName(node, name);
  if (found.error != null) {
    return new NicLookup(null, netlinkFailure('looking up "' + name + '"', found.error!));
  }
  return new NicLookup(found.value, null);
}

/**
 * Why `link` must stay on the node, or null: loopback; a macvtap (a macvtap
 * network attaches those, this path would strand its /dev/tapN); a bond or
 * bridge port (the node's bond or bridge would lose it); a link carrying a
 * default route of any table (the node would lose its network); the lower link
 * of macvtaps, macvlans or vlans, on the node or moved into pods (upper_links.ts).
 */
export function refusalOf(node: NetlinkConn, link: LinkMessage, deviceID: string): CniError | null {
  if ((link.flags & IFF_LOOPBACK) != 0) return refused(link, deviceID, "it is the loopback device");
  const kind = link.kind;
  if (kind != null && kind == "macvtap") {
    return refused(link, deviceID, 'it is a macvtap; a network with deviceType "macvtap" attaches those');
  }
  if (link.has(IFLA_MASTER) && link.master != 0) {
    return refused(
      link,
      deviceID,
      "it is a port of ifindex " + link.master.toString() + " (a bond or bridge)",
    );
  }
  const routes = defaultRouteIndexes(node);
  if (routes.error != null) return netlinkFailure("listing the node's default routes", routes.error!);
  if (routes.value!.includes(link.index)) {
    return refused(link, deviceID, "it carries a default route of the node");
  }
  const uppers = upperLinks(node, link);
  if (uppers.error != null) {
    return netlinkFailure("listing the links stacked on the node's links", uppers.error!);
  }
  if (uppers.value!.length > 0) {
    return refused(link, deviceID, "links are stacked on it: " + listed(uppers.value!));
  }
  return null;
}

/** The first few names, and how many more: a NIC may carry hundreds of macvtaps. */
function listed(names: string[]): string {
  const shown = min(names.length, 4);
  let text = "";
  for (let i = 0; i < shown; i++) text += (i > 0 ? ", " : "") + names[i];
  return names.length > shown ? text + " and " + (names.length - shown).toString() + " more" : text;
}

/** Error 101 for `link`, saying `why` it stays on the node. */
export function refused(link: LinkMessage, deviceID: string, why: string): CniError {
  const name = link.name != null ? link.name! : "ifindex " + link.index.toString();
  return new CniError(
    ERR_REFUSED_LINK,
    'refusing to move "' + name + '" (deviceID "' + deviceID + '") into the pod: ' + why,
  );
}
