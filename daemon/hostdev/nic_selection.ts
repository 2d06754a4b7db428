/**
 * Which NICs a hostdev resource offers, decided from the broker's Link records (netlink plus the sysfs
 * facts the broker adds: driver, PCI address, default route).
 *
 * - Never the node's default-route interface (it would cut the node off), loopback, or a macvtap (a
 *   macvtap network attaches those; the CNI refuses them on this path).
 * - By driver or PCI address: NICs only (no link kind, a parent device).
 * - By name: whatever is named, so a veth can stand in for a NIC where the kernel has none to spare.
 * - One owner per NIC: in config order, a NIC goes to the first hostdev resource selecting it, and never
 *   to one when it is the lower link of a configured macvtap resource.
 *
 * @module
 */
import type { HostdevResourceConfig, NicSelection } from "../config.ts";
import type { Link } from "../links/node_links.ts";

/** A NIC's device ID: its PCI address (what Multus passes to the CNI), else its name (NICs selected by name). */
export function nicDeviceId(link: Link): string {
  return link.pciAddress ?? link.name;
}

/** Whether moving `link` into a pod could ever be right. */
export function mayHandOut(link: Link): boolean {
  return !link.loopback && !link.defaultRoute && link.kind !== "macvtap";
}

/** Whether `select` picks `link` (before ownership between resources is settled). */
export function selects(select: NicSelection, link: Link): boolean {
  if (!mayHandOut(link)) return false;
  const isNic = link.kind === undefined && link.parentDevName !== undefined;
  switch (select.by) {
    case "driver":
      return isNic && link.driver === select.driver;
    case "pciAddress":
      return isNic && link.pciAddress !== undefined && select.pciAddresses.includes(link.pciAddress);
    case "name":
      return select.interfaces.includes(link.name);
  }
}

/**
 * The NICs of every hostdev resource, by resource name, each list sorted by device ID.
 *
 * @param resources hostdev resources in config order (earlier ones win a NIC)
 * @param links the node's links
 * @param macvtapLowers lower links of configured macvtap resources (never handed out whole)
 */
export function assignNics(
  resources: readonly HostdevResourceConfig[],
  links: readonly Link[],
  macvtapLowers: ReadonlySet<string>,
): Map<string, Link[]> {
  const taken = new Set<string>();
  const assigned = new Map<string, Link[]>();
  for (const resource of resources) {
    const nics = links.filter((link) =>
      !taken.has(link.name) && !macvtapLowers.has(link.name) && selects(resource.select, link)
    );
    for (const nic of nics) taken.add(nic.name);
    assigned.set(resource.name, nics.sort((a, b) => nicDeviceId(a) < nicDeviceId(b) ? -1 : 1));
  }
  return assigned;
}
