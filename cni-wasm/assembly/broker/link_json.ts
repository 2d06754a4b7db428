// Links as the broker protocol reports them (daemon/links/broker_protocol.ts,
// "Link"): the rtnetlink view reduced to what discovery, health and GC need.

import { host_link_numa_node } from "../imports/bindings";
import { JsonValue } from "../json/value";
import { IFF_LOOPBACK, IFF_LOWER_UP, IFF_UP, IFLA_LINK, IFLA_MASTER } from "../netlink/constants";
import { LinkMessage } from "../netlink/link";
import { macvlanModeName } from "../netlink/macvlan";
import { driverOf, pciAddressOf } from "../hostdev/bus_device";

/**
 * When the broker first saw each ifindex: netlink keeps no creation time, and the
 * daemon's stale-link GC needs a lower bound on a temp link's age.
 */
export class FirstSeen {
  private indexes: i32[] = [];
  private times: f64[] = [];

  /** The recorded time for `index`, recording `now` when it is new. */
  touch(index: i32, now: f64): f64 {
    const at = this.indexes.indexOf(index);
    if (at >= 0) return this.times[at];
    this.indexes.push(index);
    this.times.push(now);
    return now;
  }

  forget(index: i32): void {
    const at = this.indexes.indexOf(index);
    if (at < 0) return;
    this.indexes.splice(at, 1);
    this.times.splice(at, 1);
  }
}

/**
 * The protocol's Link for `link`; `defaultRoutes` are the ifindexes carrying a
 * default route of the main table (hostdev resources never offer those).
 */
export function linkToJson(link: LinkMessage, firstSeenMs: f64, defaultRoutes: i32[] = []): JsonValue {
  const out = JsonValue.object()
    .setNumber("ifindex", <f64> link.index)
    .setString("name", link.name != null ? link.name! : "")
    .setBool("up", (link.flags & IFF_UP) != 0)
    .setBool("carrier", (link.flags & IFF_LOWER_UP) != 0)
    .setBool("loopback", (link.flags & IFF_LOOPBACK) != 0)
    .setNumber("firstSeenMs", Math.floor(firstSeenMs));
  const kind = link.kind;
  if (kind != null) out.setString("kind", kind);
  const parentDev = link.parentDevName;
  if (parentDev != null) out.setString("parentDevName", parentDev);
  const parentBus = link.parentBusName;
  if (parentBus != null) out.setString("parentBusName", parentBus);
  if (link.has(IFLA_LINK) && link.link != 0) out.setNumber("lowerIfindex", <f64> link.link);
  // A bond's slaves name it here: the daemon gives a bond the NUMA node its slaves agree on.
  if (link.has(IFLA_MASTER) && link.master != 0) out.setNumber("masterIfindex", <f64> link.master);
  const info = link.linkInfo;
  if (info != null && info.macvlan != null) out.setString("macvtapMode", macvlanModeName(info.macvlan!.mode));
  // Only devices on a bus have a NUMA node, a driver and a PCI address; asking for
  // virtual links would only cost failed opens.
  if (parentDev != null && link.name != null) {
    const node = numaNode(link.name!);
    if (node >= 0) out.setNumber("numaNode", <f64> node);
    setDeviceFields(out, link);
  }
  if (defaultRoutes.includes(link.index)) out.setBool("defaultRoute", true);
  return out;
}

function setDeviceFields(out: JsonValue, link: LinkMessage): void {
  const driver = driverOf(link);
  if (driver != null) out.setString("driver", driver!);
  const pci = pciAddressOf(link);
  if (pci != null) out.setString("pciAddress", pci!);
}

function numaNode(name: string): i32 {
  const bytes = String.UTF8.encode(name);
  return host_link_numa_node(changetype<usize>(bytes), bytes.byteLength);
}
