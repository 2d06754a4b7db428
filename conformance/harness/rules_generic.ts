/**
 * The generic rules: what the CNI spec (and, where it is silent, libcni's skel and CONVENTIONS.md) asks
 * of every plugin. See rules.ts for the catalog and the sources.
 *
 * @module
 */
import type { Rule, RuleLevel } from "./rule.ts";

const generic = (id: string, level: RuleLevel, title: string, source: string): Rule => ({
  id,
  group: "generic",
  level,
  title,
  source,
});

/** The generic rules, in table order. */
export const GENERIC_RULES: readonly Rule[] = [
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
    "ADD-result-shape",
    "MUST",
    "the ADD result has the format of its version",
    'SPEC 1.0.0 §5 Success: "Plugins must output a JSON object with the following keys upon a successful ' +
      'ADD operation" (interfaces: name, mac, sandbox; ips: "address (string): an IP address in CIDR ' +
      'notation", "interface (uint): the index into the interfaces list"; routes: "dst: The destination of ' +
      'the route, in CIDR notation"); 0.1.0/0.2.0: ip4/ip6 {ip, gateway, routes} (libcni pkg/types/020)',
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
    "ADD-ips-applied",
    "MUST",
    "ips and routes of the result are in the pod",
    'SPEC 1.0.0 §4: "a CNI plugin is expected to assign (and maintain) an IP address to the interface and ' +
      'install any necessary routes relevant for that interface"; the IPAM plugin returns them "to the ' +
      '"main" plugin to apply"',
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
    "ADD-after-del",
    "SHOULD",
    "the same attachment can be added again after DEL",
    'SPEC 1.0.0 §2 ADD: "A runtime should not call ADD twice (without an intervening DEL) for the same ' +
      '(CNI_CONTAINERID, CNI_IFNAME) tuple." (so after a DEL it may); §3: "delete may be followed by ' +
      'additional deletes"',
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
    "CHECK-missing-address",
    "SHOULD",
    "CHECK fails once an address of the result is gone",
    'SPEC 1.0.0 §2 CHECK: "The plugin should return an error if a resource included in the CNI Result type ' +
      "(interface, address or route) was created by the plugin, and is listed in prevResult, but is missing " +
      'or in an invalid state."',
  ),
  generic(
    "CHECK-missing-route",
    "SHOULD",
    "CHECK fails once a route of the result is gone",
    'SPEC 1.0.0 §2 CHECK: "The plugin should return an error if a resource included in the CNI Result type ' +
      "(interface, address or route) was created by the plugin, and is listed in prevResult, but is missing " +
      'or in an invalid state."',
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
  generic(
    "DEL-accepted-versions",
    "MUST",
    "DEL succeeds at every version VERSION lists",
    'SPEC 1.0.0 §5 Version: "supportedVersions: A list of supported specification versions"; §2 DEL: ' +
      '"Plugins MUST accept multiple DEL calls for the same (CNI_CONTAINERID, CNI_IFNAME) pair, and return ' +
      'success if the interface in question, or any modifications added, are missing." (checked up to the ' +
      "newest tested version: newer ones may be beyond the config's IPAM)",
  ),
  generic(
    "DEL-leaves-nothing",
    "SHOULD",
    "after DEL the node and pod have no link ADD made",
    'SPEC 1.0.0 §2 DEL: "A CNI plugin, upon receiving a DEL command, should either delete the interface ' +
      "defined by CNI_IFNAME inside the container at CNI_NETNS, or undo any modifications applied in the " +
      'plugin\'s ADD functionality"; bridge example: "clean up its own resources"',
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
    "ENV-ifname-pattern",
    "MUST",
    "CNI_IFNAME net%d → code 4, no link anywhere",
    'SPEC 1.0.0 §2: CNI_IFNAME "if the plugin is unable to use this interface name it must return an error"; ' +
      "the kernel turns a name with % into the next free name of that pattern (net%d → net0), so no plugin " +
      'can create it; §5 code 4 "Invalid necessary environment variables"',
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
];
