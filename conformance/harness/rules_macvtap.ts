/**
 * The macvtap rules: this project's contract with its device plugin and Multus (issue 2), checked only
 * for the built-in macvtap profile. See rules.ts for the catalog.
 *
 * @module
 */
import type { Rule } from "./rule.ts";

const macvtap = (id: string, title: string, source: string): Rule => ({
  id,
  group: "macvtap",
  level: "project",
  title,
  source,
});

/** The macvtap rules, in table order. */
export const MACVTAP_RULES: readonly Rule[] = [
  // macvtap (issue 2)
  macvtap(
    "MVT-temp-name",
    "ADD takes node link mvt+xxh64(deviceID)[:12 hex]",
    "issue 2: temp name vectors; kubevirt/macvtap-cni TemporaryInterfaceName",
  ),
  macvtap(
    "MVT-fallback-name",
    "fallback: node link named exactly deviceID",
    "issue 2: fork compatibility (coldzerofear/macvtap-cni)",
  ),
  macvtap(
    "MVT-deviceid-sources",
    "deviceID / runtimeConfig.deviceID / pciBusID",
    "issue 2; Multus injects deviceID and pciBusID, libcni injects runtimeConfig.deviceID",
  ),
  macvtap(
    "MVT-not-macvtap",
    "non-macvtap link (veth, macvlan) refused, stays",
    "issue 2: a deviceID must never move eth0 or a veth into a pod",
  ),
  macvtap("MVT-missing-deviceid", "a config without deviceID gives code 7", "issue 2"),
  macvtap(
    "MVT-bad-config",
    "bad mac / mtu 67, 70000 / types → 7, nothing moves",
    "issue 2: errors with the spec's codes; SPEC code 7; issue 11: mtu 0 means not set",
  ),
  macvtap(
    "MVT-old-versions",
    "0.1.0/0.2.0 without IPAM: ADD code 1, DEL works",
    "issue 11 item 3: accepted like upstream; ADD works in the old result format or fails with a clear " +
      "code 1 (no IP to put in ip4/ip6) while DEL still succeeds",
  ),
  macvtap(
    "MVT-mac-precedence",
    "MAC: config < CNI_ARGS MAC < runtimeConfig.mac",
    "issue 2; CONVENTIONS.md: runtimeConfig wins over CNI_ARGS",
  ),
  macvtap(
    "MVT-tap-owner",
    "/dev/tapN 107:107 by default, owner/group honoured",
    "issue 2; kubevirt/macvtap-cni #144",
  ),
  macvtap("MVT-mtu-promisc", "mtu and promiscMode are applied to the pod link", "issue 2"),
  macvtap(
    "MVT-rollback",
    "failed ADD puts the temp link back on the node",
    "issue 2: any failure after a step undoes the steps before it",
  ),
  macvtap(
    "MVT-double-add",
    "2nd ADD of a deviceID fails, 1st stays intact",
    "issue 2",
  ),
  macvtap(
    "MVT-del-everywhere",
    "after DEL: no link anywhere, no /dev/tapN",
    "issue 2: DEL leaves no link anywhere",
  ),
  macvtap(
    "MVT-check-real",
    "CHECK detects changed MAC, MTU, link down",
    "issue 2: CHECK verifies name, MAC, MTU, up against prevResult",
  ),
  macvtap(
    "MVT-gc-foreign",
    "GC leaves unattached temp links and lower alone",
    "issue 2: GC removes nothing it did not create",
  ),
];
