// Gratuitous ARP / unsolicited NA for an interface with IPAM addresses: with
// arp_notify and ndisc_notify set before the link comes up, the kernel announces
// the new MAC/IP pairs itself, so peers and switches stop using stale entries
// (a VM that got an IP another pod had a minute ago). Best effort, like the
// kube-ovn fork: a pod without IPv6 has no ndisc_notify, and that is fine.

import { host_sysctl_set } from "../imports/bindings";
import { errnoText } from "../netlink/errno";
import { FAMILY_V4, FAMILY_V6 } from "./ip_config";

export function enableNeighbourNotify(podNetns: i32, ifname: string, families: i32): void {
  if ((families & FAMILY_V4) != 0) setOne(podNetns, "net/ipv4/conf/" + ifname + "/arp_notify");
  if ((families & FAMILY_V6) != 0) setOne(podNetns, "net/ipv6/conf/" + ifname + "/ndisc_notify");
}

function setOne(podNetns: i32, key: string): void {
  const keyBytes = String.UTF8.encode(key);
  const value = String.UTF8.encode("1");
  const rc = host_sysctl_set(
    podNetns,
    changetype<usize>(keyBytes),
    keyBytes.byteLength,
    changetype<usize>(value),
    1,
  );
  if (rc < 0) process.stderr.write("macvtap: cannot set " + key + ": " + errnoText(-rc) + "\n");
}
