/**
 * The macvtap rules: this project's contract with its device plugin and Multus, checked only for the
 * built-in macvtap profile. A source that names no public text is the project's own contract. See
 * rules.ts for the catalog.
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
  macvtap(
    "MVT-temp-name",
    "ADD takes node link mvt+xxh64(deviceID)[:12 hex]",
    "kubevirt/macvtap-cni pkg/util/iface_name.go TemporaryInterfaceName; the device plugin and the CNI " +
      "must agree (testdata/temp_link_names.json)",
  ),
  macvtap(
    "MVT-fallback-name",
    "fallback: node link named exactly deviceID",
    "coldzerofear/macvtap-cni: the fork's device plugin names the node link exactly deviceID",
  ),
  macvtap(
    "MVT-deviceid-sources",
    "deviceID / runtimeConfig.deviceID / pciBusID",
    "Multus (pkg/types/conf.go) injects deviceID and pciBusID, libcni injects runtimeConfig.deviceID",
  ),
  macvtap(
    "MVT-not-macvtap",
    "non-macvtap link (veth, macvlan) refused, stays",
    "a deviceID must never move eth0 or a veth into a pod",
  ),
  macvtap(
    "MVT-missing-deviceid",
    "a config without deviceID gives code 7",
    "the device plugin's link is found by deviceID only; SPEC 1.0.0 §5 Error code 7",
  ),
  macvtap(
    "MVT-bad-config",
    "bad mac / mtu 67, 70000 / types → 7, nothing moves",
    "errors with the spec's codes: SPEC 1.0.0 §5 Error code 7; mtu 0 means not set (Go's zero value, as " +
      "in kubevirt/macvtap-cni and the reference plugins)",
  ),
  macvtap(
    "MVT-old-versions",
    "0.1.0/0.2.0 without IPAM: ADD code 1, DEL works",
    "accepted, as kubevirt/macvtap-cni accepts them (skel with version.All); ADD works in the old " +
      "result format or fails with a clear code 1 (no IP to put in ip4/ip6) while DEL still succeeds",
  ),
  macvtap(
    "MVT-mac-precedence",
    "MAC: config < CNI_ARGS MAC < runtimeConfig.mac",
    "CONVENTIONS.md: runtimeConfig wins over CNI_ARGS",
  ),
  macvtap(
    "MVT-tap-owner",
    "/dev/tapN 107:107 by default, owner/group honoured",
    "kubevirt/macvtap-cni pkg/cni/plugin.go: owner and group, 107:107 (KubeVirt's qemu) by default",
  ),
  macvtap(
    "MVT-mtu-promisc",
    "mtu and promiscMode are applied to the pod link",
    "kubevirt/macvtap-cni pkg/cni/plugin.go NetConf: mtu, promiscMode",
  ),
  macvtap(
    "MVT-rollback",
    "failed ADD puts the temp link back on the node",
    "any failure after a step undoes the steps before it",
  ),
  macvtap(
    "MVT-double-add",
    "2nd ADD of a deviceID fails, 1st stays intact",
    "one deviceID backs one attachment: a second ADD must not disturb the first",
  ),
  macvtap(
    "MVT-del-everywhere",
    "after DEL: no link anywhere, no /dev/tapN",
    "DEL leaves no link anywhere",
  ),
  macvtap(
    "MVT-check-real",
    "CHECK detects changed MAC, MTU, link down",
    "SPEC 1.0.0 §2 CHECK; CHECK verifies name, MAC, MTU, up against prevResult (kubevirt/macvtap-cni's " +
      "CHECK does nothing)",
  ),
  macvtap(
    "MVT-gc-foreign",
    "GC leaves unattached temp links and lower alone",
    "SPEC 1.1.0 §2 GC; GC removes nothing it did not create",
  ),
];
