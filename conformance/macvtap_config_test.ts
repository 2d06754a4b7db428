// Macvtap group, configuration (the project's contract in harness/rules_macvtap.ts): validation before
// anything moves, old versions, MAC precedence, /dev/tapN ownership, mtu and promiscMode.
import { registerCases } from "./harness/cases.ts";
import { MACVTAP_CONFIG_CASES } from "./cases/macvtap_config.ts";
import { MACVTAP_PROFILES } from "./profiles/mod.ts";

registerCases(MACVTAP_CONFIG_CASES, MACVTAP_PROFILES);
