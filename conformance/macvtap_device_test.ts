// Macvtap group, finding and moving the device (the project's contract in harness/rules_macvtap.ts): temp
// name, fallback, deviceID sources, refusing non-macvtap links, double ADD, DEL leaving nothing behind.
import { registerCases } from "./harness/cases.ts";
import { MACVTAP_DEVICE_CASES } from "./cases/macvtap_device.ts";
import { MACVTAP_PROFILES } from "./profiles/mod.ts";

registerCases(MACVTAP_DEVICE_CASES, MACVTAP_PROFILES);
