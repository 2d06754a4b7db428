/**
 * The rules the conformance suite checks, each tied to the text it comes from.
 *
 * Sources: SPEC.md of the CNI spec at the version named (1.0.0 is the copy Debian ships in
 * golang-github-appc-cni-dev, /usr/share/doc/golang-github-appc-cni-dev/SPEC.md.gz), CONVENTIONS.md,
 * and, where the spec is silent, what libcni's `pkg/skel` does (every Go plugin behaves so, and runtimes
 * rely on it). Text in double quotes is quoted; anything else is a paraphrase. The macvtap rules come from
 * this project's issue 2 (the contract our device plugin and Multus rely on).
 *
 * @module
 */

/** How strongly the source requires the behaviour. */
export type RuleLevel = "MUST" | "SHOULD" | "convention" | "project";

/** Which group a rule belongs to; the table prints the groups in this order. */
export type RuleGroup = "generic" | "macvtap" | "libcni";

/** One checkable statement. */
export interface Rule {
  /** Stable id used in test names and the table. */
  id: string;
  group: RuleGroup;
  level: RuleLevel;
  /** One line: what a conforming plugin does. */
  title: string;
  /** Where it is written, with the quote. */
  source: string;
}

const generic = (id: string, level: RuleLevel, title: string, source: string): Rule => ({
  id,
  group: "generic",
  level,
  title,
  source,
});

const macvtap = (id: string, title: string, source: string): Rule => ({
  id,
  group: "macvtap",
  level: "project",
  title,
  source,
});

const libcni = (id: string, title: string, source: string): Rule => ({
  id,
  group: "libcni",
  level: "convention",
  title,
  source,
});

/** Every rule, in table order. */
export const RULES: readonly Rule[] = [
  // VERSION
  generic(
    "VERSION-env",
    "MUST",
    "VERSION needs only CNI_COMMAND",
    'SPEC 1.0.0 §2 VERSION: "Required environment parameters: CNI_COMMAND"; libcni invoke.GetVersionInfo ' +
      "sends exactly that environment",
  ),
  generic(
    "VERSION-list",
    "MUST",
    "supportedVersions lists the version",
    'SPEC 1.0.0 §5 Version: "supportedVersions: A list of supported specification versions"',
  ),
  generic(
    "VERSION-echo",
    "MUST",
    "VERSION answers with the cniVersion it was given",
    'SPEC 1.0.0 §5 Version: "cniVersion: The value of cniVersion specified on input"',
  ),
  generic(
    "VERSION-unsupported",
    "SHOULD",
    "unsupported config cniVersion → code 1",
    'SPEC 0.4.0 Result: "If the cniVersion in the network configuration is not supported by the plugin, ' +
      'the plugin should return an error code 1"',
  ),
  // ADD
  generic(
    "ADD-result-version",
    "MUST",
    "the ADD result is in the config's cniVersion",
    'SPEC 1.0.0 §5 Success: "cniVersion: The same version supplied on input"',
  ),
  generic(
    "ADD-interface",
    "MUST",
    "interfaces[]: CNI_IFNAME, sandbox=CNI_NETNS, mac",
    'SPEC 1.0.0 §5 Success: "For interfaces created inside the container, this should be the value passed via ' +
      'CNI_NETNS"; SPEC 0.4.0: "This item must be provided for interfaces created or moved into a sandbox"',
  ),
  generic(
    "ADD-ips-version",
    "MUST",
    "ips[].version only in 0.3.x/0.4.0 results",
    'SPEC 0.4.0 Result: "version": "<4-or-6>"; spec-upgrades.md 1.0.0: the version field of ips is removed',
  ),
  generic(
    "ADD-link",
    "MUST",
    "CNI_IFNAME in CNI_NETNS with the reported MAC",
    'SPEC 1.0.0 §2 ADD: "create the interface defined by CNI_IFNAME inside the container at CNI_NETNS"',
  ),
  generic(
    "ADD-ifname-exists",
    "MUST",
    "ADD fails if CNI_IFNAME exists in the container",
    'SPEC 1.0.0 §2 ADD: "If an interface of the requested name already exists in the container, the CNI ' +
      'plugin MUST return with an error."',
  ),
  generic(
    "ADD-prevresult",
    "MUST",
    "ADD passes prevResult's interfaces through",
    'SPEC 1.0.0 §2 ADD: "If the plugin was supplied a prevResult as part of its input configuration, it MUST ' +
      'handle prevResult by either passing it through, or modifying it appropriately."',
  ),
  generic(
    "ADD-args-ignoreunknown",
    "convention",
    "CNI_ARGS IgnoreUnknown=1 + unknown keys accepted",
    "CONVENTIONS.md CNI_ARGS; libcni types.LoadArgs accepts unknown keys when IgnoreUnknown is true; " +
      "kubelet, Multus and podman always send it",
  ),
  generic(
    "ADD-mac-runtimeconfig",
    "convention",
    "runtimeConfig.mac (capabilities.mac) sets the MAC",
    'CONVENTIONS.md capabilities: "mac" ... "runtimeConfig": {"mac": "..."}',
  ),
  generic(
    "ADD-mac-args",
    "convention",
    "CNI_ARGS MAC=<mac> sets the MAC",
    "de-facto: podman 4.3 (--mac-address) and Multus (networks annotation mac) send CNI_ARGS MAC=",
  ),
  generic(
    "ADD-concurrent",
    "MUST",
    "parallel ADD/DEL of different containers work",
    'SPEC 1.0.0 §3: "Plugins must handle being executed concurrently across different containers."',
  ),
  // CHECK
  generic(
    "CHECK-after-add",
    "MUST",
    "CHECK right after ADD succeeds",
    'SPEC 1.0.0 §2 CHECK: "The plugin must handle CHECK being called immediately after an ADD"',
  ),
  generic(
    "CHECK-old-version",
    "convention",
    "CHECK with a pre-0.4.0 config → code 1",
    'CHECK exists from SPEC 0.4.0; libcni skel: code 1 "config version does not allow CHECK"',
  ),
  generic(
    "CHECK-missing-link",
    "SHOULD",
    "CHECK fails once the interface is gone",
    'SPEC 1.0.0 §2 CHECK: "The plugin should return an error if a resource included in the CNI Result type ' +
      '(interface, address or route) was created by the plugin, and is listed in prevResult, but is missing"',
  ),
  generic(
    "CHECK-no-prevresult",
    "MUST",
    "CHECK without prevResult fails",
    'SPEC 1.0.0 §2 CHECK: "The plugin must consult the prevResult to determine the expected interfaces and ' +
      'addresses."',
  ),
  // DEL
  generic(
    "DEL-removes",
    "MUST",
    "DEL removes CNI_IFNAME from CNI_NETNS",
    'SPEC 1.0.0 §2 DEL: "delete the interface defined by CNI_IFNAME inside the container at CNI_NETNS"',
  ),
  generic(
    "DEL-twice",
    "MUST",
    "a second DEL of the same attachment succeeds",
    'SPEC 1.0.0 §2 DEL: "Plugins MUST accept multiple DEL calls for the same (CNI_CONTAINERID, CNI_IFNAME) ' +
      'pair, and return success if the interface in question, or any modifications added, are missing."',
  ),
  generic(
    "DEL-never-added",
    "MUST",
    "DEL of an attachment that was never added succeeds",
    'SPEC 1.0.0 §2 DEL: "return success if the interface in question, or any modifications added, are missing"',
  ),
  generic(
    "DEL-netns-gone",
    "SHOULD",
    "DEL succeeds when CNI_NETNS was already deleted",
    'SPEC 1.0.0 §2 DEL: "Plugins should generally complete a DEL action without error even if some resources ' +
      'are missing."',
  ),
  generic(
    "DEL-netns-empty",
    "MUST",
    "DEL succeeds with an empty CNI_NETNS",
    'SPEC 1.0.0 §2 DEL: "Optional environment parameters: CNI_NETNS"',
  ),
  generic(
    "DEL-no-prevresult",
    "SHOULD",
    "DEL without prevResult succeeds",
    "SPEC 1.1.0 §2 DEL: prevResult must be supplied, but plugins should still return without error if " +
      "prevResult is empty",
  ),
  // Environment
  generic(
    "ENV-missing",
    "MUST",
    "missing required CNI_* var → code 4 naming it",
    'SPEC 1.0.0 §5 Error code 4: "Invalid necessary environment variables ... The error message must contain ' +
      'the names of invalid variables."; required variables per verb from §2',
  ),
  generic(
    "ENV-path",
    "convention",
    "no CNI_PATH (ADD/CHECK/DEL): works, or code 4",
    "SPEC 1.0.0 §2 lists CNI_PATH as optional for ADD/CHECK/DEL; libcni skel requires it (code 4)",
  ),
  generic(
    "ENV-containerid",
    "MUST",
    "invalid CNI_CONTAINERID → code 4",
    'SPEC 1.0.0 §2: CNI_CONTAINERID "Must start with an alphanumeric character, optionally followed by any ' +
      'combination of one or more alphanumeric characters, underscore (), dot (.) or hyphen (-)."',
  ),
  generic(
    "ENV-ifname",
    "MUST",
    "unusable CNI_IFNAME (/ : space >15 . ..) → code 4",
    'SPEC 1.0.0 §2: CNI_IFNAME "if the plugin is unable to use this interface name it must return an error"',
  ),
  generic(
    "ENV-command",
    "MUST",
    "an unknown CNI_COMMAND gives code 4",
    'SPEC 1.0.0 §5 Error code 4: "Invalid necessary environment variables, like CNI_COMMAND"',
  ),
  // Config and error format
  generic(
    "CONF-decode",
    "MUST",
    "stdin that is not JSON gives code 6",
    'SPEC 1.0.0 §5 Error code 6: "Failed to decode content. For example, failed to unmarshal network config"',
  ),
  generic(
    "CONF-name",
    "MUST",
    "a missing or malformed network name gives code 7",
    'SPEC 1.0.0 §1: name "Must start with an alphanumeric character ..."; §5 Error code 7: "Invalid network ' +
      'config"',
  ),
  generic(
    "ERR-stdout",
    "MUST",
    "errors: exit ≠ 0, {code, msg} JSON on stdout",
    'SPEC 0.4.0: "Errors must be indicated by a non-zero return code and the following JSON being printed to ' +
      'stdout"',
  ),
  generic(
    "ERR-version",
    "SHOULD",
    "the error JSON carries the config's cniVersion",
    'SPEC 1.0.0 §5 Error: "cniVersion: The same value as provided by the configuration"',
  ),
  // 1.1.0 verbs
  generic(
    "STATUS-ready",
    "MUST",
    "STATUS exits 0 when the plugin can serve ADD",
    'SPEC 1.1.0 §2 STATUS: "A plugin must exit with a zero (success) return code if the plugin is ready to ' +
      'service ADD requests."',
  ),
  generic(
    "GC-keeps-valid",
    "MUST",
    "GC: silent success, valid attachments untouched",
    "SPEC 1.1.0 §2 GC: the runtime passes the still-valid attachments; the plugin removes only resources of " +
      "attachments not in that set; env is CNI_COMMAND and CNI_PATH only",
  ),
  generic(
    "GC-STATUS-old-version",
    "convention",
    "GC/STATUS with a pre-1.1.0 config → code 1",
    "GC and STATUS exist from SPEC 1.1.0; libcni skel (1.2+) refuses them for older configs with code 1",
  ),
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
    "bad mac / mtu 0, 70000 / types → 7, nothing moves",
    "issue 2: errors with the spec's codes; SPEC code 7",
  ),
  macvtap(
    "MVT-old-versions",
    "cniVersion 0.1.0/0.2.0 is refused with code 1",
    "issue 2: refuse 0.1.0/0.2.0 with a clear error",
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
  // libcni interop
  libcni(
    "LIBCNI-validate",
    "GetVersionInfo/ValidateNetworkList accept it",
    "libcni 1.1.2 api.go ValidateNetworkList/GetVersionInfo (Debian golang-github-appc-cni-dev)",
  ),
  libcni(
    "LIBCNI-lifecycle",
    "Add/Check/Del/Del NetworkList succeed",
    "libcni 1.1.2 api.go; the runtime side of SPEC §2-§3",
  ),
  libcni(
    "LIBCNI-capabilities",
    "capability args (mac, deviceID) → runtimeConfig",
    "libcni injectRuntimeConfig; CONVENTIONS.md capabilities",
  ),
  libcni(
    "LIBCNI-cache",
    "the cached ADD result reaches CHECK as prevResult",
    'SPEC 1.0.0 §2 CHECK (runtime): "must include a prevResult field ... containing the Result of the ' +
      'immediately preceding ADD"; libcni result cache',
  ),
];

/** The rule with this id; throws on a typo so a case can never report into nowhere. */
export function rule(id: string): Rule {
  const found = RULES.find((r) => r.id === id);
  if (!found) throw new Error(`unknown conformance rule id "${id}"`);
  return found;
}
