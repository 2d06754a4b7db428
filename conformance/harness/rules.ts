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
    "VERSION needs only CNI_COMMAND (CNI_NETNS/IFNAME/PATH=dummy, no CNI_CONTAINERID)",
    'SPEC 1.0.0 §2 VERSION: "Required environment parameters: CNI_COMMAND"; libcni invoke.GetVersionInfo ' +
      "sends exactly that environment",
  ),
  generic(
    "VERSION-list",
    "MUST",
    "VERSION's supportedVersions includes every version the plugin is used with",
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
    "a config cniVersion the plugin does not speak is refused with code 1",
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
    "interfaces[] lists CNI_IFNAME with sandbox = CNI_NETNS and a mac",
    'SPEC 1.0.0 §5 Success: "For interfaces created inside the container, this should be the value passed via ' +
      'CNI_NETNS"; SPEC 0.4.0: "This item must be provided for interfaces created or moved into a sandbox"',
  ),
  generic(
    "ADD-ips-version",
    "MUST",
    "ips[].version is present for 0.3.x/0.4.0 results and absent from 1.0.0 on",
    'SPEC 0.4.0 Result: "version": "<4-or-6>"; spec-upgrades.md 1.0.0: the version field of ips is removed',
  ),
  generic(
    "ADD-link",
    "MUST",
    "CNI_IFNAME exists in CNI_NETNS with the MAC the result reports",
    'SPEC 1.0.0 §2 ADD: "create the interface defined by CNI_IFNAME inside the container at CNI_NETNS"',
  ),
  generic(
    "ADD-ifname-exists",
    "MUST",
    "ADD fails when CNI_IFNAME already exists in the container",
    'SPEC 1.0.0 §2 ADD: "If an interface of the requested name already exists in the container, the CNI ' +
      'plugin MUST return with an error."',
  ),
  generic(
    "ADD-prevresult",
    "MUST",
    "ADD with a prevResult passes its interfaces through into the result",
    'SPEC 1.0.0 §2 ADD: "If the plugin was supplied a prevResult as part of its input configuration, it MUST ' +
      'handle prevResult by either passing it through, or modifying it appropriately."',
  ),
  generic(
    "ADD-args-ignoreunknown",
    "convention",
    "CNI_ARGS with IgnoreUnknown=1 and unknown keys is accepted",
    "CONVENTIONS.md CNI_ARGS; libcni types.LoadArgs accepts unknown keys when IgnoreUnknown is true; " +
      "kubelet, Multus and podman always send it",
  ),
  generic(
    "ADD-mac-runtimeconfig",
    "convention",
    "runtimeConfig.mac sets the MAC when the config declares capabilities.mac",
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
    "concurrent ADD/DEL for different containers all succeed",
    'SPEC 1.0.0 §3: "Plugins must handle being executed concurrently across different containers."',
  ),
  // CHECK
  generic(
    "CHECK-after-add",
    "MUST",
    "CHECK right after ADD (prevResult = the ADD result) succeeds",
    'SPEC 1.0.0 §2 CHECK: "The plugin must handle CHECK being called immediately after an ADD"',
  ),
  generic(
    "CHECK-old-version",
    "convention",
    "CHECK with a config older than 0.4.0 is refused with code 1",
    'CHECK exists from SPEC 0.4.0; libcni skel: code 1 "config version does not allow CHECK"',
  ),
  generic(
    "CHECK-missing-link",
    "SHOULD",
    "CHECK fails when the interface from prevResult was removed out of band",
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
    "a missing required CNI_* variable gives code 4 naming it",
    'SPEC 1.0.0 §5 Error code 4: "Invalid necessary environment variables ... The error message must contain ' +
      'the names of invalid variables."; required variables per verb from §2',
  ),
  generic(
    "ENV-path",
    "convention",
    "without CNI_PATH the plugin either works or fails with code 4 naming CNI_PATH",
    "SPEC 1.0.0 §2 lists CNI_PATH as optional for ADD/CHECK/DEL; libcni skel requires it (code 4)",
  ),
  generic(
    "ENV-containerid",
    "MUST",
    "a CNI_CONTAINERID with invalid characters gives code 4",
    'SPEC 1.0.0 §2: CNI_CONTAINERID "Must start with an alphanumeric character, optionally followed by any ' +
      'combination of one or more alphanumeric characters, underscore (), dot (.) or hyphen (-)."',
  ),
  generic(
    "ENV-ifname",
    "MUST",
    "an unusable CNI_IFNAME (/, whitespace, >15 bytes, '.') is an error (code 4 by skel convention)",
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
    "errors exit non-zero with {code, msg} JSON on stdout",
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
    "GC succeeds with no output and leaves attachments in cni.dev/valid-attachments alone",
    "SPEC 1.1.0 §2 GC: the runtime passes the still-valid attachments; the plugin removes only resources of " +
      "attachments not in that set; env is CNI_COMMAND and CNI_PATH only",
  ),
  generic(
    "GC-STATUS-old-version",
    "convention",
    "GC and STATUS with a config older than 1.1.0 are refused with code 1",
    "GC and STATUS exist from SPEC 1.1.0; libcni skel (1.2+) refuses them for older configs with code 1",
  ),
  // macvtap (issue 2)
  macvtap(
    "MVT-temp-name",
    "ADD attaches the node link mvt + 12 hex of xxh64(deviceID)",
    "issue 2: temp name vectors; kubevirt/macvtap-cni TemporaryInterfaceName",
  ),
  macvtap(
    "MVT-fallback-name",
    "ADD falls back to a node link named exactly deviceID",
    "issue 2: fork compatibility (coldzerofear/macvtap-cni)",
  ),
  macvtap(
    "MVT-deviceid-sources",
    "deviceID is read from top-level deviceID, runtimeConfig.deviceID and pciBusID",
    "issue 2; Multus injects deviceID and pciBusID, libcni injects runtimeConfig.deviceID",
  ),
  macvtap(
    "MVT-not-macvtap",
    "a deviceID naming a link that is not a macvtap is refused and nothing moves",
    "issue 2: a deviceID must never move eth0 or a veth into a pod",
  ),
  macvtap("MVT-missing-deviceid", "a config without deviceID gives code 7", "issue 2"),
  macvtap(
    "MVT-bad-config",
    "bad MAC, mtu 0/70000 and wrong JSON types give code 7 and nothing moves",
    "issue 2: errors with the spec's codes; SPEC code 7",
  ),
  macvtap(
    "MVT-old-versions",
    "cniVersion 0.1.0/0.2.0 is refused with code 1",
    "issue 2: refuse 0.1.0/0.2.0 with a clear error",
  ),
  macvtap(
    "MVT-mac-precedence",
    "MAC precedence: config mac < CNI_ARGS MAC < runtimeConfig.mac",
    "issue 2; CONVENTIONS.md: runtimeConfig wins over CNI_ARGS",
  ),
  macvtap(
    "MVT-tap-owner",
    "/dev/tap<ifindex> is owned 107:107 by default, owner/group honoured",
    "issue 2; kubevirt/macvtap-cni #144",
  ),
  macvtap("MVT-mtu-promisc", "mtu and promiscMode are applied to the pod link", "issue 2"),
  macvtap(
    "MVT-rollback",
    "a failure after the move leaves the temp link back on the node under its temp name",
    "issue 2: any failure after a step undoes the steps before it",
  ),
  macvtap(
    "MVT-double-add",
    "a second ADD of the same deviceID fails and the first attachment stays intact",
    "issue 2",
  ),
  macvtap(
    "MVT-del-everywhere",
    "after DEL the macvtap exists nowhere (pod or node) and /dev/tapN is gone",
    "issue 2: DEL leaves no link anywhere",
  ),
  macvtap(
    "MVT-check-real",
    "CHECK detects a changed MAC, MTU or a link set down",
    "issue 2: CHECK verifies name, MAC, MTU, up against prevResult",
  ),
  macvtap(
    "MVT-gc-foreign",
    "GC leaves node links it did not attach (allocated temp links, the lower) alone",
    "issue 2: GC removes nothing it did not create",
  ),
  // libcni interop
  libcni(
    "LIBCNI-validate",
    "libcni GetVersionInfo and ValidateNetworkList accept the plugin at the version",
    "libcni 1.1.2 api.go ValidateNetworkList/GetVersionInfo (Debian golang-github-appc-cni-dev)",
  ),
  libcni(
    "LIBCNI-lifecycle",
    "AddNetworkList, CheckNetworkList (>= 0.4.0), DelNetworkList twice all succeed through libcni",
    "libcni 1.1.2 api.go; the runtime side of SPEC §2-§3",
  ),
  libcni(
    "LIBCNI-capabilities",
    "capability args (mac; deviceID for macvtap) reach the plugin as runtimeConfig",
    "libcni injectRuntimeConfig; CONVENTIONS.md capabilities",
  ),
  libcni(
    "LIBCNI-cache",
    "libcni's cached ADD result is what CHECK and DEL get as prevResult",
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
